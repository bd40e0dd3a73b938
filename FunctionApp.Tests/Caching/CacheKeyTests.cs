using TokenFunctions.Caching;
using Xunit;

namespace TokenFunctions.Tests.Caching;

/// <summary>
/// A Table key names rows every instance has written: if the way it is computed changed, every token,
/// throttle and removal record already in the Table would be orphaned. These are the keys as they are.
/// </summary>
public sealed class CacheKeyTests
{
    [Fact]
    public void A_clients_partition_is_the_digest_of_its_name_id_and_tenant_whatever_their_case() =>
        Assert.Equal(
            "app-b623b2bb19704b2f71043a924d7eec9d",
            CacheKeys.AppTokenPartition("Orders", "00000000-0000-0000-0000-0000000000AA", "Contoso-Tenant"));

    [Theory]
    [InlineData("API://Inventory", "ad19188b9c871bdd4d873599032a0d2f")]
    [InlineData("Ünïcode-Ressource/é", "2b10a690c895949874b9f4a5e5ab35a8")]
    public void A_resources_row_is_the_digest_of_the_resource_whatever_its_case(string resource, string row) =>
        Assert.Equal(row, CacheKeys.ResourceRow(resource));

    [Fact]
    public void A_long_resources_row_is_its_digest_too() =>
        Assert.Equal("753422be9791c01f191e299cfe950f2d", CacheKeys.ResourceRow("api://" + string.Concat(Enumerable.Repeat("Ab", 300))));

    [Fact]
    public void A_partition_of_a_long_client_name_with_real_ids_is_the_digest_it_always_was() =>
        Assert.Equal(
            "app-9cdb4b9c3cb7bbe66b01039974ac1cea",
            CacheKeys.AppTokenPartition("inventory-service", "AC9F085E-c4a4-4863-8c81-9548f012aafa", "b54927be-d84c-4f90-8a02-a32124684a76"));

    [Fact]
    public void A_user_assertions_partition_is_the_digest_of_the_client_and_the_assertion() =>
        Assert.Equal("obo-9f533ce6a26d59697e8bd7d0c6e105e8", CacheKeys.OnBehalfOfPartition("orders", "cid", "tenant", "HASH"));

    [Fact]
    public void An_exact_scope_sets_row_keeps_its_case() =>
        Assert.Equal("scopes-c7cffba1c079a760e1715aef7c730d1f", CacheKeys.ScopeSetRow("read:orders Write:Orders"));
}
