using Microsoft.Azure.Functions.Worker;
using TokenFunctions.Prewarming;

namespace TokenFunctions.Functions;

/// <summary>The pre-warm timer: <c>%Prewarm:Schedule%</c> (UTC), never on start-up.</summary>
public sealed class PrewarmFunction(TokenPrewarmer prewarmer)
{
    [Function("PrewarmTokens")]
    public async Task Run([TimerTrigger("%Prewarm:Schedule%", RunOnStartup = false)] TimerInfo timer, CancellationToken cancellationToken) =>
        await prewarmer.RunAsync(cancellationToken);
}
