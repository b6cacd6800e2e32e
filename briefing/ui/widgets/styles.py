"""Component styles for Line API widgets that layer styles on top of each other."""

from __future__ import annotations

from rich.style import Style
from textual.widget import Widget


def layer_style(widget: Widget, component: str) -> Style:
    """A component's style holding only what its CSS rule sets.

    The full style also carries the widget's background (which would hide a
    cursor or an emphasis drawn underneath); the partial one leaves colours
    with an alpha ($text-muted) unblended. This keeps the rule's own colours,
    blended, and its text attributes.
    """
    full = widget.get_component_rich_style(component)
    partial = widget.get_component_rich_style(component, partial=True)
    colours = Style.from_color(
        full.color if partial.color is not None else None,
        full.bgcolor if partial.bgcolor is not None else None,
    )
    return colours + partial.without_color
