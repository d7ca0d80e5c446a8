package org.virtbalancer.deploy.cli;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * A command that reads one answer from the balancer's HTTP API and prints it as text, or with
 * {@code --json} as the API sent it.
 */
abstract class ApiReadCommand implements Callable<Integer> {
    @Mixin ApiOptions api;
    @Spec CommandSpec spec;

    @Option(names = "--json", description = "Print the API's JSON answer as it came, instead of text")
    boolean json;

    /** The path to GET, e.g. {@code /api/hosts}; throws a usage failure for bad arguments. */
    abstract String path();

    /** The answer as operators read it; {@link BalancerApi#read} turns the body into records. */
    abstract List<String> text(String body);

    @Override
    public final Integer call() {
        Output output = new Output(spec);
        String path = path();
        String body = api.client().get(path);
        output.lines(json ? List.of(body) : text(body));
        return ExitCode.OK;
    }
}
