"""The `guide` command line: thin typer commands over the API, one module per command.

Each command parses its options, builds a config from them by name (instant: no torch yet),
then imports the heavy parts and calls the API, which returns data that the command renders.
The kit's own errors become one ``error:`` line on stderr and exit code 1; --verbose shows
the traceback instead. The top room: imports anything, and nothing imports it.
"""

from guidance.cli import browse, compare, diffuse, judge, run, sweep, train
from guidance.cli.app import app, main

# in the order `guide --help` lists them
app.command()(train.train)
app.command()(run.run)
app.command("diffuse")(diffuse.diffuse)
app.command("judge")(judge.judge)
app.command("compare")(compare.compare)
app.command()(compare.showcase)
app.command("sweep")(sweep.sweep)
app.command()(browse.show)
app.command("list")(browse.list_runs)

__all__ = ["app", "main"]
