namespace TokenFunctions.Tests.Infrastructure;

/// <summary>
/// Just enough YAML for azure.yaml: nested mappings of plain or quoted scalars by indentation,
/// comments and blank lines. Anything else (lists, anchors, multi-line scalars, tabs) is refused
/// rather than misread.
/// </summary>
internal static class MiniYaml
{
    public static Dictionary<string, object> Parse(string text)
    {
        var root = new Dictionary<string, object>(StringComparer.Ordinal);
        var stack = new Stack<(int Indent, Dictionary<string, object> Map)>();
        stack.Push((-1, root));
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            var content = StripComment(line);
            if (content.Trim().Length == 0)
            {
                continue;
            }

            if (content.Contains('\t', StringComparison.Ordinal))
            {
                throw new FormatException($"Line {lineNumber}: tabs are not YAML indentation.");
            }

            var indent = content.Length - content.TrimStart(' ').Length;
            var entry = content.Trim();
            if (entry.StartsWith('-') || entry.StartsWith('&') || entry.StartsWith('*') || entry.EndsWith('|') || entry.EndsWith('>'))
            {
                throw new FormatException($"Line {lineNumber}: only mappings of scalars are supported here.");
            }

            var colon = entry.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || (colon + 1 < entry.Length && entry[colon + 1] != ' '))
            {
                throw new FormatException($"Line {lineNumber}: expected 'key: value'.");
            }

            while (stack.Peek().Indent >= indent)
            {
                stack.Pop();
            }

            var map = stack.Peek().Map;
            var key = Unquote(entry[..colon].Trim());
            var value = entry[(colon + 1)..].Trim();
            if (map.ContainsKey(key))
            {
                throw new FormatException($"Line {lineNumber}: duplicate key '{key}'.");
            }

            if (value.Length == 0)
            {
                var child = new Dictionary<string, object>(StringComparer.Ordinal);
                map[key] = child;
                stack.Push((indent, child));
            }
            else
            {
                map[key] = Unquote(value);
            }
        }

        return root;
    }

    private static string StripComment(string line)
    {
        var quote = '\0';
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == '#' && (i == 0 || line[i - 1] == ' '))
            {
                return line[..i];
            }
        }

        return line;
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0] ? value[1..^1] : value;
}
