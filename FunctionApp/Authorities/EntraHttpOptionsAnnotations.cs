using Microsoft.Extensions.Options;

namespace TokenFunctions.Authorities;

/// <summary>
/// The data annotations of <see cref="EntraHttpOptions"/>, checked at start-up by generated code
/// rather than by reflection over its properties and attributes (the messages are the same).
/// </summary>
[OptionsValidator]
internal sealed partial class EntraHttpOptionsAnnotations : IValidateOptions<EntraHttpOptions>;
