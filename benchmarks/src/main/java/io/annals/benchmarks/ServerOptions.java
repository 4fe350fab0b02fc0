package io.annals.benchmarks;

/**
 * The options W7 starts its servers with ({@code --port N --db JDBC_URL}), as {@link Http}
 * passes them to each server's process.
 */
record ServerOptions(int port, String db) {

    /** Parses the options; {@code server} names the program in the usage message. */
    static ServerOptions parse(String server, String[] args) {
        int port = 0;
        String db = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--db" -> db = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (db == null) {
            throw new IllegalArgumentException("usage: " + server + " --port N --db JDBC_URL");
        }
        return new ServerOptions(port, db);
    }
}
