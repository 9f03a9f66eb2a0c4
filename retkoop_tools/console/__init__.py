"""The AD console: every coop at a glance, aggregated accounts, sampling, exports."""
