package org.virtbalancer.deploy.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.List;

/** Prints to the command's own streams, so tests can capture them. */
final class Output {
    /** JSON documents the CLI writes itself (from Kafka), laid out as the balancer's API lays out its answers. */
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final CommandSpec spec;

    Output(CommandSpec spec) {
        this.spec = spec;
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    void line(String s) {
        out().println(s);
        out().flush();
    }

    void lines(List<String> lines) {
        lines.forEach(out()::println);
        out().flush();
    }

    void error(String s) {
        spec.commandLine().getErr().println("error: " + s);
        spec.commandLine().getErr().flush();
    }

    /** {@code value} as one indented JSON document. */
    void json(Object value) {
        try {
            line(JSON.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /** A progress display on this command's output: in place on a terminal, line by line otherwise. */
    ProgressView progress() {
        boolean terminal = System.console() != null;
        return new ProgressView(out(), terminal, terminal ? ProgressView.terminalWidth() : Integer.MAX_VALUE);
    }
}
