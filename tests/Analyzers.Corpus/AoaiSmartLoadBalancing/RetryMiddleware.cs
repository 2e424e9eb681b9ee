using TracedLlm;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace openai_loadbalancer;

/// <summary>
/// The retry loop around YARP's forwarder for the traced OpenAI routes (TracedRoutes): each backend
/// try is an attempt, forwarded with <see cref="IHttpForwarder"/> to a destination of the cluster.
/// </summary>
public class RetryMiddleware
{
    private readonly IReadOnlyDictionary<string, BackendConfig> _backends;
    private readonly IHttpForwarder _forwarder;
    private readonly IProxyStateLookup _proxyState;
    private readonly IDestinationHealthUpdater _healthUpdater;
    private readonly HttpMessageInvoker _httpClient;
    private readonly ILogger _logger;

    public RetryMiddleware(IReadOnlyDictionary<string, BackendConfig> backends, IHttpForwarder forwarder, IProxyStateLookup proxyState, IDestinationHealthUpdater healthUpdater, IForwarderHttpClientFactory httpClientFactory, ILoggerFactory loggerFactory)
    {
        _backends = backends;
        _forwarder = forwarder;
        _proxyState = proxyState;
        _healthUpdater = healthUpdater;
        _httpClient = httpClientFactory.CreateClient(new ForwarderHttpClientContext { NewConfig = HttpClientConfig.Empty });
        _logger = loggerFactory.CreateLogger<RetryMiddleware>();
    }

    /// <summary>
    /// The code in this method is based on comments from https://github.com/microsoft/reverse-proxy/issues/56
    /// When YARP natively supports retries, this will probably be greatly simplified.
    /// </summary>
    public async Task InvokeAsync(LlmCall call)
    {
        var context = call.HttpContext;
        if (!_proxyState.TryGetCluster("cluster", out var cluster))
        {
            throw new InvalidOperationException("The 'cluster' of backends is not configured.");
        }

        var body = call.UpstreamBody.ToArray();
        var shouldRetry = true;
        var retryCount = 0;

        while (shouldRetry)
        {
            var destination = PickOneDestination(cluster);
            var backend = _backends[destination.DestinationId];
            using var attempt = call.StartAttempt(new LlmTarget("azure.ai.openai", backend.DeploymentName ?? call.Model ?? "unknown") { BackendId = destination.DestinationId, Endpoint = new Uri(backend.Url) });

            if (retryCount > 0)
            {
                //If this is a retry, we must clear the current response
                context.Response.Clear();
            }

            context.Request.Body = new MemoryStream(body);
            var canRetry = () => cluster.DestinationsState.AllDestinations.Any(m => m.Health.Passive != DestinationHealth.Unhealthy && m.DestinationId != destination.DestinationId);
            var error = await _forwarder.SendAsync(context, backend.Url, _httpClient, new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromSeconds(BackendConfig.HttpTimeoutSeconds) }, new BackendTransformer(backend, canRetry));
            if (error != ForwarderError.None)
            {
                attempt.Fail(context.GetForwarderErrorFeature()?.Exception ?? new HttpRequestException($"Forwarding to {destination.DestinationId} failed: {error}"));
            }

            ThrottlingHealthPolicy.UpdateHealth(_healthUpdater, context, cluster, destination);

            var statusCode = context.Response.StatusCode;
            if (statusCode is 429 or >= 500)
            {
                attempt.Fail(new UpstreamException(statusCode, $"{destination.DestinationId} answered {statusCode}."));
            }
            else
            {
                attempt.Succeed();
            }

            var atLeastOneBackendHealthy = GetNumberHealthyEndpoints(cluster) > 0;
            retryCount++;

            shouldRetry = (statusCode is 429 or >= 500) && atLeastOneBackendHealthy;
        }
    }

    private static int GetNumberHealthyEndpoints(ClusterState cluster)
    {
        return cluster.DestinationsState.AllDestinations.Count(m => m.Health.Passive is DestinationHealth.Healthy or DestinationHealth.Unknown);
    }


    /// <summary>
    /// The native YARP ILoadBalancingPolicy interface does not play well with HTTP retries, that's why we're adding this custom load-balancing code.
    /// This needs to be reevaluated to a ILoadBalancingPolicy implementation when YARP supports natively HTTP retries.
    /// </summary>
    private DestinationState PickOneDestination(ClusterState cluster)
    {
        var allDestinations = cluster.DestinationsState.AllDestinations;

        var selectedPriority = int.MaxValue;
        var availableBackends = new List<int>();

        for (var i = 0; i < allDestinations.Count; i++)
        {
            var destination = allDestinations[i];

            if (destination.Health.Passive != DestinationHealth.Unhealthy)
            {
                var destinationPriority = _backends[destination.DestinationId].Priority;

                if (destinationPriority < selectedPriority)
                {
                    selectedPriority = destinationPriority;
                    availableBackends.Clear();
                    availableBackends.Add(i);
                }
                else if (destinationPriority == selectedPriority)
                {
                    availableBackends.Add(i);
                }
            }
        }

        int backendIndex;

        if (availableBackends.Count == 1)
        {
            //Returns the only available backend if we have only one available
            backendIndex = availableBackends[0];
        }
        else
        if (availableBackends.Count > 0)
        {
            //Returns a random backend from the list if we have more than one available with the same priority
            backendIndex = availableBackends[Random.Shared.Next(0, availableBackends.Count)];
        }
        else
        {
            //Returns a random  backend if all backends are unhealthy
            _logger.LogWarning($"All backends are unhealthy. Picking a random backend...");
            backendIndex = Random.Shared.Next(0, allDestinations.Count);
        }

        var pickedDestination = allDestinations[backendIndex];

        return pickedDestination;
    }
}

/// <summary>
/// The backend's key, and its deployment in the path, as YarpConfiguration.TransformRequest sets them;
/// a 429 or 5xx another backend will retry is not written, as YarpConfiguration.TransformResponse suppresses it.
/// </summary>
internal sealed class BackendTransformer(BackendConfig backend, Func<bool> canRetry) : HttpTransformer
{
    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var copyBody = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        return copyBody && !(proxyResponse?.StatusCode is System.Net.HttpStatusCode.TooManyRequests or >= System.Net.HttpStatusCode.InternalServerError && canRetry());
    }

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        proxyRequest.Headers.Remove("api-key");
        proxyRequest.Headers.Add("api-key", backend.ApiKey);

        if (backend.DeploymentName != null && proxyRequest.RequestUri is { } uri)
        {
            var pathSegments = httpContext.Request.Path.Value!.Split('/');
            if (pathSegments.Length >= 4)
            {
                proxyRequest.RequestUri = new Uri(uri.AbsoluteUri.Replace(pathSegments[3], backend.DeploymentName));
            }
        }
    }
}
