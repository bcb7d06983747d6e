using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LiveMicro.ServiceDefaults;

public static class OptionsExtensions
{
    /// <summary>Binds <typeparamref name="TOptions"/> to a configuration section and validates its data
    /// annotations at start-up, so a bad setting stops the service instead of surfacing on some later request.</summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, string section)
        where TOptions : class =>
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
}
