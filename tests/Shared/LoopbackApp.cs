using System;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TracedLlm.Tests;

/// <summary>A small real HTTP server on a free loopback port, for the peers the tests stand up.</summary>
internal static class LoopbackApp
{
    /// <summary>Builds, maps and starts the app; returns it with its base address.</summary>
    public static Task<(WebApplication App, string Address)> StartAsync(Action<WebApplication> map) =>
        StartAsync(static _ => { }, map);

    /// <summary>Registers services, builds, maps and starts the app; returns it with its base address.</summary>
    public static async Task<(WebApplication App, string Address)> StartAsync(
        Action<IServiceCollection> services,
        Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        services(builder.Services);
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return (app,
            app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
    }

    /// <summary>A loopback port nothing listens on (free a moment ago): a connection to it is refused.</summary>
    public static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Stops and disposes the app.</summary>
    public static async ValueTask StopAsync(WebApplication app)
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
