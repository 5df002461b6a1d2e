using System.Globalization;
using FileServer.Hosting;
using Spectre.Console;

namespace FileServer.Cli.Progress;

/// <summary>
/// <c>--progress</c>: a table of the transfers running now (client, path, a bar of bytes sent over the total, rate,
/// ETA, body path) and the totals (connections, requests, throughput), redrawn in place four times a second. It
/// reads a snapshot of the server (<see cref="FileServerHost.ActiveTransfers"/>) on its own timer, so a download never
/// waits for the terminal; only an interactive terminal gets it.
/// </summary>
internal sealed class LiveView
{
    private static readonly TimeSpan Refresh = TimeSpan.FromMilliseconds(250);
    private const int BarWidth = 24;
    // The lines around the table's rows: the totals, the table's top border, heading, rule and bottom border, and
    // the "and N more" line.
    private const int ChromeLines = 6;

    private readonly FileServerHost _host;
    private readonly IAnsiConsole _console;
    private readonly Dictionary<long, (long Sent, long At)> _previous = new();

    /// <summary>A view of <paramref name="host"/> drawn on <paramref name="console"/>.</summary>
    public LiveView(FileServerHost host, IAnsiConsole console)
    {
        _host = host;
        _console = console;
    }

    /// <summary>Whether standard output is a terminal, where the view can be drawn.</summary>
    public static bool CanDraw => !Console.IsOutputRedirected;

    /// <summary>
    /// The console to draw on: standard output, with ANSI and redraws on. Spectre's own detection calls a terminal
    /// under a CI variable (CI=true) non-interactive; stdout being a terminal is what matters here.
    /// </summary>
    public static IAnsiConsole Terminal() => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = AnsiSupport.Yes,
        Interactive = InteractionSupport.Yes,
        ColorSystem = ColorSystemSupport.Detect,
        Out = new AnsiConsoleOutput(Console.Out),
    });

    /// <summary>
    /// Redraws until <paramref name="stop"/> completes, on a thread of its own at the lowest priority: drawing a frame
    /// takes milliseconds of CPU (Spectre lays out every cell), which under load must come from idle time only.
    /// </summary>
    public Task RunAsync(Task stop)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                BackgroundPriority.LowerCurrentThread();
                _console.Live(Render()).AutoClear(false).Start(context =>
                {
                    // The wait is the refresh period, cut short by the stop.
                    while (!((IAsyncResult)stop).AsyncWaitHandle.WaitOne(Refresh))
                    {
                        context.UpdateTarget(Render());
                    }
                    context.UpdateTarget(Render());
                });
                done.SetResult();
            }
            catch (IOException)
            {
                // The terminal is gone (EIO: its window closed without a hangup): the view ends, the server serves on.
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        { IsBackground = true, Name = "Live view" };
        thread.Start();
        return done.Task;
    }

    private Rows Render()
    {
        var now = Environment.TickCount64;
        var transfers = _host.ActiveTransfers().OrderBy(t => t.Id).ToList();
        var table = new Table().Border(TableBorder.Rounded).Expand()
            .AddColumn("client").AddColumn("path").AddColumn("progress").AddColumn(new TableColumn("rate").RightAligned())
            .AddColumn(new TableColumn("ETA").RightAligned()).AddColumn("body");
        long rateSum = 0;
        var seen = new HashSet<long>();
        // Rows past the terminal's height would be laid out only to be cropped: they count in the totals only.
        var room = Math.Max(1, _console.Profile.Height - ChromeLines);
        foreach (var transfer in transfers)
        {
            seen.Add(transfer.Id);
            // The average since the view first saw this transfer: a sendfile body advances in 2 MiB slices, so a
            // rate over one refresh alone would flicker between 0 and a burst.
            var rate = 0L;
            if (_previous.TryGetValue(transfer.Id, out var first))
            {
                if (now > first.At && transfer.Sent > first.Sent)
                {
                    rate = (transfer.Sent - first.Sent) * 1000 / (now - first.At);
                }
            }
            else
            {
                _previous[transfer.Id] = (transfer.Sent, now);
            }
            rateSum += rate;
            if (table.Rows.Count == room)
            {
                continue;
            }
            table.AddRow(
                Markup.Escape(transfer.Client),
                Markup.Escape(Shorten(transfer.Target, 48)),
                Bar(transfer.Sent, transfer.Total),
                Markup.Escape(Bytes(rate) + "/s"),
                Markup.Escape(Eta(transfer, rate)),
                Markup.Escape(transfer.BodyPath));
        }
        foreach (var gone in _previous.Keys.Where(id => !seen.Contains(id)).ToList())
        {
            _previous.Remove(gone);
        }
        var requests = _host.Statistics.Requests;
        var header = new Markup(string.Create(CultureInfo.InvariantCulture,
            $"[bold]fileserver[/]  connections {_host.ConnectionCount}  transfers {transfers.Count}  requests {requests}  throughput {Markup.Escape(Bytes(rateSum))}/s"));
        if (transfers.Count == 0)
        {
            return new Rows(header, new Markup("[grey]no transfers running[/]"));
        }
        var hidden = transfers.Count - table.Rows.Count;
        return hidden == 0 ? new Rows(header, table)
            : new Rows(header, table, new Markup(string.Create(CultureInfo.InvariantCulture, $"[grey]… and {hidden} more[/]")));
    }

    private static string Bar(long sent, long total)
    {
        if (total <= 0)
        {
            return Markup.Escape(Bytes(sent));
        }
        var fraction = Math.Clamp((double)sent / total, 0, 1);
        var filled = (int)Math.Round(fraction * BarWidth);
        return string.Create(CultureInfo.InvariantCulture,
            $"[green]{new string('█', filled)}[/][grey]{new string('░', BarWidth - filled)}[/] {fraction * 100,5:0.0}%");
    }

    private static string Eta(TransferView transfer, long rate) =>
        transfer.Total <= 0 || rate <= 0 ? "-" : TimeSpan.FromSeconds((transfer.Total - transfer.Sent) / (double)rate).ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture);

    private static string Shorten(string text, int width) => text.Length <= width ? text : "…" + text[^(width - 1)..];

    private static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.0} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.0} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
    };
}
