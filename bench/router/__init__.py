"""The router benchmark: our router against Hive Gateway, Apollo Gateway and Grafbase on the same subgraphs."""
