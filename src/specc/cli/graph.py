"""`specc graph`: the service and its split as Mermaid text (and an image where mermaid-cli is installed)."""

from __future__ import annotations

from pathlib import Path

import click

from specc.cli.app import guarded, main, spec_argument


@main.command()
@spec_argument
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also draw it into this .svg or .png (needs mermaid-cli, `mmdc`).")
@guarded
def graph(spec: Path, out: Path | None) -> None:
    """Print SPEC's entries, their references and the stacks they are split into, as Mermaid text."""
    from specc.compiler import compile_spec
    from specc.output.graph import draw, mermaid, renderer

    text = mermaid(compile_spec(spec))
    click.echo(text, nl=False)
    if out is None:
        return
    mmdc = renderer()
    if mmdc is None:
        click.echo(f"mermaid-cli (mmdc) is not installed: {out} was not drawn. Paste the text above into "
                   "https://mermaid.live or a Markdown ```mermaid block, or `npm install @mermaid-js/mermaid-cli`.",
                   err=True)
        return
    draw(text, out, mmdc)
    click.echo(f"drew {out}", err=True)
