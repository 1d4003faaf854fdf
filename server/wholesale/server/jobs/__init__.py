"""Work the server starts by itself on a schedule (APScheduler), through the services."""
