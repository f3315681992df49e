"""`optionpilot sentiment train | eval`: rebuild the shipped classifier, or score it on a labelled file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from optionpilot.cli.console import make_console
from optionpilot.cli.errors import fail, one_line_errors
from optionpilot.signals.classifier import SHIPPED_MODEL, TrainedSentimentModel, shipped_model
from optionpilot.signals.classifier_data import LABELS, read_labelled_csv
from optionpilot.signals.classifier_metrics import Evaluation
from optionpilot.signals.classifier_training import evaluate_model, train_from_directory

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="The headline sentiment classifier: train and evaluate."
)


def _default_data() -> Path:
    # The project's real data sits beside the repository (../shared/data), as in the tests.
    root = Path(os.environ.get("OPTIONPILOT_SHARED_DATA", "../shared/data"))
    return root / "sentiment" / "twitter_financial_news"


def _summary(console: Console, title: str, result: Evaluation) -> None:
    console.print(f"{title}: {result.n} rows, accuracy {result.accuracy:.4f}, macro-F1 {result.macro_f1:.4f}")
    t = Table(title="per class")
    for col in ("label", "precision", "recall", "F1", "support"):
        t.add_column(col, justify="left" if col == "label" else "right")
    for c in result.classes:
        t.add_row(c.label, f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}", str(c.support))
    console.print(t)


def _confusion(console: Console, result: Evaluation) -> None:
    t = Table(title="confusion (rows: true, columns: predicted)")
    t.add_column("true \\ predicted")
    for label in LABELS:
        t.add_column(label, justify="right")
    for label, row in zip(LABELS, result.confusion, strict=True):
        t.add_row(label, *(str(int(v)) for v in row))
    console.print(t)


def user_model_path() -> Path:
    """`$XDG_DATA_HOME/optionpilot/models/` (default ~/.local/share): a retrained model never replaces the
    shipped one, which every install and test reads."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "optionpilot" / "models" / SHIPPED_MODEL.name


def _inside_installed_package(path: Path) -> bool:
    """A path in the package of an installed (not editable) copy; a source checkout may rebuild its model."""
    package = SHIPPED_MODEL.parent.parent.parent
    installed = any(part in ("site-packages", "dist-packages") for part in package.parts)
    return installed and path.resolve().is_relative_to(package)


@app.command()
def train(
    data: Annotated[
        Path | None,
        typer.Option(help="directory with sent_train.csv and sent_valid.csv [default: ../shared/data/...]"),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="where to write the model (.npz) [default: the user's data folder, not the package]"
        ),
    ] = None,
) -> None:
    """Train on sent_train.csv, report on sent_valid.csv and write the model file."""
    console = make_console()
    directory = data if data is not None else _default_data()
    out = out if out is not None else user_model_path()
    with one_line_errors():
        if _inside_installed_package(out):
            fail(
                f"--out {out}: inside the installed package; "
                "write elsewhere and set strategy.sentiment.model_path"
            )
        run = train_from_directory(directory)
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            run.model.save(out)
        except OSError as exc:
            fail(f"cannot write {out}: {exc.strerror or exc}")
    _summary(console, f"validation ({directory / 'sent_valid.csv'})", run.validation)
    console.print(f"model {run.model.name} written to {out}")


@app.command("eval")
def eval_(
    file: Annotated[Path, typer.Argument(help="a CSV with text,label columns (0/1/2 or label names)")],
    model: Annotated[Path | None, typer.Option(help="a model file (.npz) [default: the shipped one]")] = None,
) -> None:
    """Accuracy, macro-F1 and the confusion matrix of the model on FILE."""
    console = make_console()
    with one_line_errors():
        data = read_labelled_csv(file)
        classifier = shipped_model() if model is None else TrainedSentimentModel.load(model)
        result = evaluate_model(classifier, data)
    _summary(console, f"{classifier.name} on {file}", result)
    _confusion(console, result)
