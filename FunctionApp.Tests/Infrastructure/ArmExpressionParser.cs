using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace TokenFunctions.Tests.Infrastructure;

/// <summary>Parses the inside of an ARM template expression (<c>union(parameters('a'), createObject('k', 1))</c>).</summary>
internal static class ArmExpressionParser
{
    public static Expression Parse(string text) => new Parser(text).ParseAll();

    public abstract record Expression;

    public sealed record Literal(JsonNode? Value) : Expression;

    public sealed record Call(string Name, IReadOnlyList<Expression> Arguments) : Expression;

    public sealed record MemberAccess(Expression Target, string Name) : Expression;

    public sealed record IndexAccess(Expression Target, Expression Key) : Expression;

    /// <summary>expression := primary ( '.' name | '[' expression ']' )*; primary := 'string' | number | name '(' arguments ')'.</summary>
    private sealed class Parser(string text)
    {
        private int _at;

        public Expression ParseAll()
        {
            var expression = ParseExpression();
            SkipSpace();
            return _at == text.Length ? expression : throw Error("end of expression");
        }

        private Expression ParseExpression()
        {
            var expression = ParsePrimary();
            while (true)
            {
                SkipSpace();
                if (TryTake('.'))
                {
                    expression = new MemberAccess(expression, ParseName());
                }
                else if (TryTake('['))
                {
                    var key = ParseExpression();
                    Expect(']');
                    expression = new IndexAccess(expression, key);
                }
                else
                {
                    return expression;
                }
            }
        }

        private Expression ParsePrimary()
        {
            SkipSpace();
            if (TryTake('\''))
            {
                var literal = new StringBuilder();
                while (true)
                {
                    if (_at >= text.Length) throw Error("closing quote");
                    var c = text[_at++];
                    if (c != '\'') { literal.Append(c); continue; }
                    if (_at < text.Length && text[_at] == '\'') { literal.Append('\''); _at++; continue; }
                    return new Literal(literal.ToString());
                }
            }

            if (_at < text.Length && (char.IsAsciiDigit(text[_at]) || text[_at] == '-'))
            {
                var start = _at++;
                while (_at < text.Length && char.IsAsciiDigit(text[_at])) _at++;
                return new Literal(int.Parse(text[start.._at], CultureInfo.InvariantCulture));
            }

            var name = ParseName();
            Expect('(');
            var arguments = new List<Expression>();
            SkipSpace();
            if (!TryTake(')'))
            {
                do { arguments.Add(ParseExpression()); SkipSpace(); } while (TryTake(','));
                Expect(')');
            }

            return new Call(name, arguments);
        }

        private string ParseName()
        {
            SkipSpace();
            var start = _at;
            while (_at < text.Length && (char.IsAsciiLetterOrDigit(text[_at]) || text[_at] == '_')) _at++;
            return _at > start ? text[start.._at] : throw Error("a name");
        }

        private void SkipSpace()
        {
            while (_at < text.Length && char.IsWhiteSpace(text[_at])) _at++;
        }

        private bool TryTake(char c)
        {
            SkipSpace();
            if (_at < text.Length && text[_at] == c) { _at++; return true; }
            return false;
        }

        private void Expect(char c)
        {
            if (!TryTake(c)) throw Error($"'{c}'");
        }

        private FormatException Error(string expected) => new($"Expected {expected} at {_at} in [{text}].");
    }
}
