"""What the demo site's community says: questions with answers and votes, and comments on
passages of the demo pages. Played through the real services by `community.demo.seed`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DemoAnswer:
    author: str
    content: str
    upvoters: tuple[str, ...] = ()
    accepted: bool = False


@dataclass(frozen=True)
class DemoQuestion:
    author: str
    title: str
    content: str
    tags: tuple[str, ...]
    difficulty: str
    document: str | None = None  # a demo page's slug
    answers: tuple[DemoAnswer, ...] = ()
    upvoters: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoComment:
    """An inline comment on the first occurrence of `passage` in the page (or a general one
    when `passage` is empty), with replies (author, text)."""

    document: str
    author: str
    content: str
    passage: str = ""
    replies: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    resolved: bool = False


QUESTIONS = (
    DemoQuestion(
        "lena",
        "Why does attention divide the scores by the square root of d_k?",
        "The page says the softmax *saturates* without it. I understand the variance argument "
        "for the dot product, but why is a saturated softmax a problem for **training**?",
        ("attention", "transformers"),
        "beginner",
        document="attention-and-transformers",
        upvoters=("carlos", "rui", "mo"),
        answers=(
            DemoAnswer(
                "eve",
                "When one score is much larger than the others, softmax puts almost all the "
                "weight on it and its Jacobian is almost zero everywhere:\n\n"
                "$$\\frac{\\partial p_i}{\\partial s_j} = p_i(\\delta_{ij} - p_j)$$\n\n"
                "With $p \\approx (1, 0, \\dots)$ every entry is close to 0, so the gradient "
                "reaching $Q$ and $K$ vanishes and those layers stop learning. Scaling by "
                "$\\sqrt{d_k}$ keeps the scores around unit variance, where softmax is still "
                "soft.",
                upvoters=("lena", "carlos", "rui", "mo"),
                accepted=True,
            ),
            DemoAnswer(
                "rui",
                "A quick way to see it: compute `softmax(scores)` for `scores = "
                "np.random.randn(8) * 16` and look at the output. It is nearly one-hot.",
                upvoters=("lena",),
            ),
        ),
    ),
    DemoQuestion(
        "carlos",
        "Is warm-up still needed with AdamW if I use a small learning rate?",
        "I train a small transformer with AdamW at 1e-4. The optimiser page recommends a warm-up. "
        "Does it still matter at such a low rate, or is it only for large batches?",
        ("optimization", "transformers"),
        "intermediate",
        document="gradient-descent-and-optimisers",
        upvoters=("lena",),
        answers=(
            DemoAnswer(
                "eve",
                "It matters less, but it still helps: in the first steps Adam's second-moment "
                "estimate $v$ is computed from very few gradients, so some parameters get "
                "huge effective steps. A few hundred warm-up steps cost nothing and remove "
                "that risk.",
                upvoters=("carlos", "mo"),
            ),
        ),
    ),
    DemoQuestion(
        "lena",
        "What is the difference between a validation set and a test set?",
        "Both are held out from training, so why do tutorials insist on having two of them?",
        ("deep-learning",),
        "beginner",
        upvoters=("rui",),
    ),
)

COMMENTS = (
    DemoComment(
        "attention-and-transformers",
        "lena",
        "Could we add a tiny numeric example here? Three tokens would be enough.",
        passage="The softmax turns each row of\nscores into weights that sum to one",
        replies=(("eve", "Good idea. I will add one with three tokens and $d_k = 2$."),),
    ),
    DemoComment(
        "gradient-descent-and-optimisers",
        "rui",
        "Worth saying that warm-up matters most for large batch sizes.",
        passage="warm-up prevents early blow-ups",
        replies=(("carlos", "Agreed, added a sentence in my draft."),),
        resolved=True,
    ),
    DemoComment(
        "gradient-descent-and-optimisers",
        "mo",
        "Thanks for keeping the table of learning rates up to date, it is very handy.",
    ),
)
