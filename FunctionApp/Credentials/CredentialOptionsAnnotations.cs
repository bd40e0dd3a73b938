using Microsoft.Extensions.Options;

namespace TokenFunctions.Credentials;

/// <summary>
/// The data annotations of <see cref="CredentialOptions"/>, checked at start-up by generated code
/// rather than by reflection over its properties and attributes (the messages are the same).
/// </summary>
[OptionsValidator]
internal sealed partial class CredentialOptionsAnnotations : IValidateOptions<CredentialOptions>;
