using FileServer.Fuzz;
using SharpFuzz;

// fuzz TARGET            run under afl-fuzz (input on stdin, coverage through SharpFuzz's forkserver)
// replay TARGET DIR...   run every file in DIR once, in this process: the smoke test, and how a crash is reproduced
// seeds TARGET CORPORA OUT  write the first inputs for TARGET into OUT (from the test corpora and built-in cases)
if (args.Length < 2 || !FuzzTargets.All.TryGetValue(args[1], out var target))
{
    Console.Error.WriteLine($"usage: FileServer.Fuzz (fuzz|replay) ({string.Join('|', FuzzTargets.All.Keys)}) [DIR...]");
    return 2;
}
switch (args[0])
{
    case "fuzz":
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            target(buffer.ToArray());
        });
        return 0;
    case "seeds" when args.Length == 4:
        var written = Seeds.Write(args[1], args[2], args[3]);
        Console.WriteLine($"seeds {args[1]}: {written} inputs in {args[3]}");
        return written > 0 ? 0 : 1;
    case "replay":
        var inputs = args.Skip(2).SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories)).Order(StringComparer.Ordinal).ToList();
        var failed = 0;
        foreach (var file in inputs)
        {
            try
            {
                target(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                failed++;
                Console.Error.WriteLine($"{file}: {e.GetType().Name}: {e.Message}");
            }
        }
        Console.WriteLine($"replay {args[1]}: {inputs.Count} inputs, {failed} failed");
        return failed == 0 && inputs.Count > 0 ? 0 : 1;
    default:
        Console.Error.WriteLine($"unknown mode '{args[0]}'");
        return 2;
}
