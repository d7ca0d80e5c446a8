package org.virtbalancer.balancer.service;

/**
 * Whether this balancer should lead. Only a hint: two balancers can both believe they lead for a
 * moment (a hung leader that resumes), so safety comes from {@link LeaderChannel}'s fencing, not
 * from here.
 */
interface Leadership extends AutoCloseable {
    /** Joins (blocking: call from a worker thread); {@code onChange} runs on any thread when the answer may have changed. */
    void start(Runnable onChange) throws Exception;

    /** Whether this balancer should lead now; thread-safe. */
    boolean leads();

    /** One line for logs and the API, e.g. "member 2 of 3, leader 127.0.0.1:5701". */
    String describe();

    @Override
    void close();

    /** A single balancer: it always leads. */
    static Leadership standalone() {
        return new Leadership() {
            @Override
            public void start(Runnable onChange) {
            }

            @Override
            public boolean leads() {
                return true;
            }

            @Override
            public String describe() {
                return "standalone";
            }

            @Override
            public void close() {
            }
        };
    }
}
