using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using FileServer.Platform;

namespace FileServer.Serving;

/// <summary>
/// A listing as an HTML page: breadcrumbs, a table (directories first) whose column headings sort through the
/// query, a filter box that appears only where our script runs, light and dark schemes, no external asset. The
/// one style and the one script are inline and named by hash in <see cref="ContentSecurityPolicy"/>, so no other
/// script can run, whatever the names in the directory.
/// </summary>
internal static class ListingHtml
{
    private const string Style =
        ":root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#5f6b76;--line:#e3e7eb;--link:#0b5fb8}" +
        "@media (prefers-color-scheme:dark){:root{--fg:#e6e9ec;--bg:#15181c;--muted:#9aa5b1;--line:#2a3038;--link:#6cb4ff}}" +
        "body{margin:0 auto;max-width:64rem;padding:1rem;font:15px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg)}" +
        "a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}" +
        "header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between;margin-bottom:.75rem}" +
        "h1{font-size:1.1rem;margin:0;word-break:break-all}input{font:inherit;padding:.3rem .5rem;min-width:12rem}" +
        "table{width:100%;border-collapse:collapse}th,td{padding:.35rem .5rem;border-bottom:1px solid var(--line);text-align:left}" +
        "th{font-weight:600;color:var(--muted)}td.n{word-break:break-all}td.s,th.s{text-align:right;white-space:nowrap}" +
        "td.t{white-space:nowrap;color:var(--muted)}tr.d td.n a{font-weight:600}footer{margin-top:.75rem;color:var(--muted)}" +
        "@media (max-width:40rem){td.t,th.t{display:none}}";

    private const string Script =
        "const f=document.getElementById('filter');f.hidden=false;" +
        "f.addEventListener('input',()=>{const q=f.value.toLowerCase();" +
        "for(const r of document.querySelectorAll('tbody tr[data-name]'))r.hidden=q!==''&&!r.dataset.name.toLowerCase().includes(q);});";

    /// <summary>The policy every listing page is sent with: nothing but its own style and script, no frames, no forms.</summary>
    public static string ContentSecurityPolicy { get; } =
        $"default-src 'none'; style-src '{Hash(Style)}'; script-src '{Hash(Script)}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>Renders the page for the directory at <paramref name="path"/> (its decoded names) into <paramref name="output"/>.</summary>
    public static void Render(IReadOnlyList<string> path, List<DirectoryEntry> entries, ListingQuery query, IBufferWriter<byte> output)
    {
        var text = new StringBuilder(4096);
        var title = "/" + string.Concat(path.Select(p => p + "/"));
        text.Append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Index of ");
        ListingText.AppendEscaped(text, title);
        text.Append("</title><style>").Append(Style).Append("</style></head>\n<body><header><h1>");
        AppendCrumbs(text, path);
        text.Append("</h1><input id=\"filter\" type=\"search\" placeholder=\"Filter\" aria-label=\"Filter\" autocomplete=\"off\" hidden></header>\n")
            .Append("<table><thead><tr>");
        AppendHeading(text, "Name", "n", ListingSort.Name, query);
        AppendHeading(text, "Size", "s", ListingSort.Size, query);
        AppendHeading(text, "Modified (UTC)", "t", ListingSort.Time, query);
        text.Append("</tr></thead>\n<tbody>\n");
        if (path.Count > 0)
        {
            text.Append("<tr class=\"d\"><td class=\"n\"><a href=\"../\">../</a></td><td class=\"s\"></td><td class=\"t\"></td></tr>\n");
        }
        Flush(text, output);
        int directories = 0, files = 0;
        foreach (var entry in entries)
        {
            _ = entry.IsDirectory ? directories++ : files++;
            AppendRow(text, entry);
            if (text.Length > 16 * 1024)
            {
                Flush(text, output);
            }
        }
        text.Append("</tbody></table>\n<footer>").Append(directories).Append(directories == 1 ? " directory, " : " directories, ")
            .Append(files).Append(files == 1 ? " file" : " files").Append("</footer>\n<script>").Append(Script).Append("</script></body></html>\n");
        Flush(text, output);
    }

    private static void AppendCrumbs(StringBuilder text, IReadOnlyList<string> path)
    {
        text.Append("<a href=\"").Append(path.Count == 0 ? "./" : string.Concat(Enumerable.Repeat("../", path.Count))).Append("\">/</a>");
        for (var i = 0; i < path.Count; i++)
        {
            var up = path.Count - 1 - i;
            text.Append(' ');
            if (up == 0)
            {
                ListingText.AppendEscaped(text, path[i]);
            }
            else
            {
                text.Append("<a href=\"").Append(string.Concat(Enumerable.Repeat("../", up))).Append("\">");
                ListingText.AppendEscaped(text, path[i]);
                text.Append("</a>");
            }
            text.Append(" /");
        }
    }

    private static void AppendHeading(StringBuilder text, string label, string column, ListingSort sort, ListingQuery query)
    {
        var current = query.Sort == sort;
        var descending = current && !query.Descending;
        text.Append("<th class=\"").Append(column).Append("\"><a href=\"").Append(ListingQuery.Link(sort, descending).Replace("&", "&amp;", StringComparison.Ordinal))
            .Append("\">").Append(label);
        if (current)
        {
            text.Append(query.Descending ? " ▼" : " ▲");
        }
        text.Append("</a></th>");
    }

    private static void AppendRow(StringBuilder text, in DirectoryEntry entry)
    {
        text.Append(entry.IsDirectory ? "<tr class=\"d\" data-name=\"" : "<tr data-name=\"");
        ListingText.AppendEscaped(text, entry.Name);
        text.Append("\"><td class=\"n\"><a href=\"");
        ListingText.AppendEscaped(text, ListingText.Href(entry));
        text.Append("\">");
        ListingText.AppendEscaped(text, entry.Name);
        text.Append(entry.IsDirectory ? "/</a></td><td class=\"s\"" : "</a></td><td class=\"s\"");
        if (entry.HasStatus && !entry.IsDirectory)
        {
            text.Append(" title=\"").Append(entry.Length).Append(entry.Length == 1 ? " byte\">" : " bytes\">").Append(ListingText.HumanSize(entry.Length));
        }
        else
        {
            text.Append('>');
        }
        text.Append("</td><td class=\"t\">");
        if (entry.HasStatus)
        {
            text.Append("<time datetime=\"").Append(ListingText.Rfc3339(entry.ModifiedUnixNanoseconds)).Append("\">")
                .Append(ListingText.ShortTime(entry.ModifiedUnixNanoseconds)).Append("</time>");
        }
        text.Append("</td></tr>\n");
    }

    private static void Flush(StringBuilder text, IBufferWriter<byte> output)
    {
        foreach (var chunk in text.GetChunks())
        {
            Encoding.UTF8.GetBytes(chunk.Span, output);
        }
        text.Clear();
    }

    private static string Hash(string inline) => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(inline)));
}
