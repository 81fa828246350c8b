"""The operator's side of the workflows, over a Temporal client: starting account workflows
and registering their search attributes. Used by the CLI, the dev stack and the benchmarks;
the workflows never import it.
"""
