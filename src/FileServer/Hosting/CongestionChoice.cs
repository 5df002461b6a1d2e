namespace FileServer.Hosting;

/// <summary>What <see cref="LoopbackCongestion.Apply"/> did with a connection.</summary>
internal enum CongestionChoice
{
    /// <summary>The client is on another machine (or the connection was gone): left with the system's default.</summary>
    Elsewhere,

    /// <summary>Given the loopback algorithm.</summary>
    Given,

    /// <summary>The kernel refused the algorithm for this connection; it keeps the system's default.</summary>
    Refused,
}
