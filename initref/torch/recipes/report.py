"""What :func:`initref.torch.apply_init` reports: :class:`Touched` per claimed parameter, :class:`InitReport`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from initref.torch.diagnostics import _Printable
from initref.torch.recipes.draws import Draw, _fmt

__all__ = ["InitReport", "Touched"]


@dataclass(frozen=True)
class Touched:
    """One claimed parameter, or a block of rows of one, and its draw.

    Attributes
    ----------
    name
        Qualified parameter name, as in ``model.named_parameters()``.
    module
        Class name of the module that owns it.
    role
        What the recipe took it for (``"weight"``, ``"residual projection"``, ``"value"``, ...).
    draw
        The distribution it was filled from.
    rows
        ``(start, stop)`` along dim 0 when only a block is meant (the q/k/v blocks of
        ``nn.MultiheadAttention.in_proj_weight``), else ``None``.
    zero_rows
        Rows set to zero after the draw (an embedding's ``padding_idx``).
    departure
        Where initref deliberately differs from the library the recipe follows for this
        parameter, and how (empty when it reproduces the library).
    """

    name: str
    module: str
    role: str
    draw: Draw
    rows: tuple[int, int] | None = None
    zero_rows: tuple[int, ...] = ()
    departure: str = ""

    @property
    def label(self) -> str:
        """``name``, with ``[start:stop]`` for a block of rows."""
        return self.name if self.rows is None else f"{self.name}[{self.rows[0]}:{self.rows[1]}]"


@dataclass(frozen=True)
class InitReport(_Printable):
    """What a recipe claimed and what it left alone.

    Attributes
    ----------
    recipe, reference
        The recipe's name and its sources.
    options
        The options it ran with (defaults and values read from ``model.config`` filled in;
        ``generator`` excluded).
    touched
        Every claimed parameter (or block), in the order they were filled.
    untouched
        Names of the parameters the recipe did not claim; they were not written.
    tied
        ``(alias, name)`` pairs: a parameter reached again under another name (tied weights),
        filled once under ``name``.
    constants
        Numbers the recipe computed that the model's forward pass needs (DeepNorm's ``alpha``).
    notes
        Anything the user should know (e.g. a count that differs from the expected one).
    """

    recipe: str
    reference: str
    options: Mapping[str, Any]
    touched: tuple[Touched, ...]
    untouched: tuple[str, ...]
    tied: tuple[tuple[str, str], ...] = ()
    constants: Mapping[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def entries(self, name: str) -> tuple[Touched, ...]:
        """The entries of parameter ``name`` (several for a parameter claimed in blocks)."""
        return tuple(t for t in self.touched if t.name == name)

    @property
    def departures(self) -> tuple[Touched, ...]:
        """The entries where initref departs from the followed library on purpose."""
        return tuple(t for t in self.touched if t.departure)

    def table(self) -> Any:
        """A :class:`rich.table.Table` of the claimed parameters (with a departure column when any)."""
        from rich.table import Table

        table = Table(title=f"apply_init: {self.recipe}", caption=f"{len(self.touched)} claimed, "
                      f"{len(self.untouched)} left alone" + "".join(f"; {n}" for n in self.notes))
        columns = ["parameter", "module", "role", "initializer", "std"]
        departs = bool(self.departures)
        for column in columns + (["departure"] if departs else []):
            table.add_column(column, justify="right" if column == "std" else "left")
        for t in self.touched:
            row = [t.label, t.module, t.role, t.draw.initializer, _fmt(t.draw.std)]
            table.add_row(*row, *([t.departure] if departs else []))
        return table
