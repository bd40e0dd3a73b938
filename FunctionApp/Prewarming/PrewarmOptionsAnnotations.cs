using Microsoft.Extensions.Options;

namespace TokenFunctions.Prewarming;

/// <summary>
/// The data annotations of <see cref="PrewarmOptions"/>, checked at start-up by generated code
/// rather than by reflection over its properties and attributes (the messages are the same).
/// </summary>
[OptionsValidator]
internal sealed partial class PrewarmOptionsAnnotations : IValidateOptions<PrewarmOptions>;
