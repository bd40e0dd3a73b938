using Microsoft.Extensions.Options;

namespace TokenFunctions.Caching;

// The data annotations of the cache's options, checked at start-up by generated code rather than by
// reflection over their properties and attributes (the messages are the same).

[OptionsValidator]
internal sealed partial class TokenCacheOptionsAnnotations : IValidateOptions<TokenCacheOptions>;

[OptionsValidator]
internal sealed partial class TableStorageOptionsAnnotations : IValidateOptions<TableStorageOptions>;
