"""The demo pages `manage.py seed` creates: who owns them and their final Markdown text.

Each page's text is `texts/<slug>.md`: what the page reads like after its demo history
(`collaboration.demo.histories`) has been played onto it. The slugs are the ones
`services.document_create` makes from the titles.
"""

from dataclasses import dataclass, field
from pathlib import Path

from collaboration.models import Visibility


@dataclass(frozen=True)
class DemoDocument:
    """One demo page; `members` are the editors of a restricted page."""

    slug: str
    title: str
    owner: str
    tags: tuple[str, ...]
    visibility: str = Visibility.PUBLIC
    members: tuple[str, ...] = ()
    content: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "content", page_text(self.slug))


TEXTS = Path(__file__).resolve().parent / "texts"


def page_text(slug: str) -> str:
    """The final text of the demo page `slug` (texts/<slug>.md)."""
    return (TEXTS / f"{slug}.md").read_text(encoding="utf-8")


DEMO_DOCUMENTS = (
    DemoDocument(
        "attention-and-transformers",
        "Attention and Transformers",
        "eve",
        ("transformers", "attention", "nlp", "deep-learning"),
    ),
    DemoDocument(
        "gradient-descent-and-optimisers",
        "Gradient Descent and Optimisers",
        "carlos",
        ("optimization", "deep-learning"),
    ),
    DemoDocument(
        "convolutional-neural-networks",
        "Convolutional Neural Networks",
        "rui",
        ("computer-vision", "deep-learning"),
    ),
    DemoDocument(
        "backpropagation-step-by-step",
        "Backpropagation, Step by Step",
        "carlos",
        ("deep-learning", "optimization"),
    ),
    DemoDocument(
        "regularisation-and-overfitting",
        "Regularisation and Overfitting",
        "eve",
        ("regularization", "deep-learning", "probability"),
    ),
    DemoDocument(
        "reinforcement-learning-basics",
        "Reinforcement Learning Basics",
        "mo",
        ("reinforcement-learning", "probability"),
    ),
    DemoDocument(
        "draft-diffusion-models",
        "Draft: Diffusion Models",
        "carlos",
        ("deep-learning", "computer-vision"),
        visibility=Visibility.PRIVATE,
    ),
    DemoDocument(
        "transformer-pages-review-notes",
        "Transformer Pages: Review Notes",
        "eve",
        ("transformers",),
        visibility=Visibility.RESTRICTED,
        members=("rui", "carlos"),
    ),
)
