"""The history `manage.py seed` writes into each demo page: edits, restores and chat.

Each page gets a typo fix, a section added after it was created, and a change that
someone else takes back (by editing it back or by restoring an earlier revision), with
the chat where they talk it over. The private draft can only be edited by its owner, so
its history is his alone. Snippets are quoted from the final texts in `pages`; `plan`
checks that every one of them fits.
"""

from __future__ import annotations

from .pages import page_text
from .plan import AddSection, Chat, Edit, Restore, Timeline, ago


def _from(text: str, start: str, end: str) -> str:
    """The part of `text` from `start` up to (not including) `end`."""
    first = text.index(start)
    return text[first : text.index(end, first)]


LR_SCHEDULES = _from(
    page_text("gradient-descent-and-optimisers"), "- **Warm-up**", "\n## Practical advice"
)

ATTENTION_HISTORY = Timeline(
    created=ago(12, 2),
    events=(
        Edit(ago(11, 20), "lena", "sequencial, so it cannot use", "sequential, so it cannot use"),
        Chat(
            ago(11, 19),
            "lena",
            "Fixed a small typo in “Why attention?”. This is the first explanation of the "
            "sqrt(d_k) scaling that actually made sense to me, thank you!",
        ),
        AddSection(ago(9, 4), "rui", "## Cost and common pitfalls"),
        Chat(
            ago(9, 3),
            "rui",
            "Added a section on cost and the usual training pitfalls. The missing causal "
            "mask bites everyone at least once.",
        ),
        Edit(
            ago(6, 2),
            "carlos",
            "scores = Q @ K.swapaxes(-1, -2) / np.sqrt(d_k)",
            "scores = Q @ K.T / np.sqrt(d_k)",
        ),
        Chat(
            ago(6, 1, 58),
            "carlos",
            "Simplified K.swapaxes(-1, -2) to K.T in the attention code, it reads nicer.",
        ),
        Edit(
            ago(5, 22, 10),
            "eve",
            "scores = Q @ K.T / np.sqrt(d_k)",
            "scores = Q @ K.swapaxes(-1, -2) / np.sqrt(d_k)",
        ),
        Chat(
            ago(5, 22, 5),
            "eve",
            "I put swapaxes back: K.T reverses *every* axis. With a batch dimension K is "
            "(batch, seq, d_k) and K.T is (d_k, seq, batch), so the matmul fails or "
            "broadcasts into nonsense. swapaxes(-1, -2) only swaps the last two.",
        ),
        Chat(
            ago(5, 22, 4),
            "eve",
            "K = np.zeros((2, 5, 64))   # (batch, seq, d_k)\n"
            "K.T.shape                  # (64, 5, 2)\n"
            "K.swapaxes(-1, -2).shape   # (2, 64, 5)",
            code=True,
        ),
        Chat(
            ago(5, 20),
            "carlos",
            "Ah, I only tried it on a single 2-D example. Good catch, thanks.",
        ),
        Chat(
            ago(3, 6),
            "lena",
            "Is there somewhere to read more? RoPE went a bit over my head.",
        ),
        AddSection(ago(3, 2), "mo", "## Further reading"),
        Chat(
            ago(3, 1, 55),
            "mo",
            "Added a Further reading section: the original paper, Jay Alammar's illustrated "
            "guide, and the RoFormer paper for RoPE.",
        ),
    ),
)

GRADIENT_DESCENT_HISTORY = Timeline(
    created=ago(11, 5),
    events=(
        AddSection(ago(10, 8), "eve", "## Comparing the optimisers"),
        Chat(
            ago(10, 2),
            "carlos",
            "Thanks for the comparison table, Eve. That's the part I always end up looking up.",
        ),
        Edit(
            ago(7, 3),
            "lena",
            "Common schedules:\n\n" + LR_SCHEDULES,
            "Common schedules:\n\n",
        ),
        Chat(
            ago(7, 2, 50),
            "lena",
            "Oops, I think I deleted the list of learning-rate schedules while trying to "
            "copy it. Sorry!",
        ),
        Restore(ago(7, 1), "rui", 1),
        Chat(
            ago(7, 0, 58),
            "rui",
            "No harm done: I restored revision 1 from the History page. A restore is just a "
            "new revision, so nothing is ever lost.",
        ),
        Edit(ago(4, 9), "mo", "the loss oscilates or diverges", "the loss oscillates or diverges"),
        Edit(
            ago(2, 5),
            "carlos",
            "accelerates progress along it.\n",
            "accelerates progress along it.\n"
            "*Nesterov momentum* evaluates the gradient at the look-ahead point\n"
            r"$\theta_t - \eta\beta v_t$ and is usually slightly better." + "\n",
        ),
        Chat(
            ago(1, 20),
            "mo",
            "Is cosine decay still what people use with AdamW, or has something replaced it?",
        ),
        Chat(
            ago(1, 18),
            "eve",
            "Still the usual default for transformers: linear warm-up, then cosine down to "
            "about 10% of the peak. Some recent runs use warm-up/stable/decay schedules "
            "instead, which make it easy to keep training later.",
        ),
    ),
)

CNN_HISTORY = Timeline(
    created=ago(10, 3),
    events=(
        Edit(
            ago(9, 22),
            "mo",
            "parameters dramaticaly compared",
            "parameters dramatically compared",
        ),
        AddSection(ago(8, 6), "eve", "## Residual connections"),
        Chat(
            ago(8, 5, 50),
            "eve",
            "Added a short section on residual connections: ResNet is in the table, but the "
            "idea wasn't explained anywhere.",
        ),
        Edit(
            ago(5, 4),
            "lena",
            "actually compute cross-correlation, as here;",
            "actually compute convolution, as here;",
        ),
        Chat(
            ago(5, 3, 55),
            "lena",
            "I changed “cross-correlation” to “convolution” in the first section. Isn't the "
            "whole point that CNNs use convolution?",
        ),
        Restore(ago(4, 23), "rui", 2),
        Chat(
            ago(4, 22, 58),
            "rui",
            "Good question, but the original was right: PyTorch and TensorFlow compute "
            "cross-correlation and never flip the kernel. Since the kernel is learned, the "
            "network simply learns the flipped one, and the name “convolution” stuck. I "
            "restored revision 2.",
        ),
        Chat(ago(4, 20), "lena", "That makes sense now, thanks Rui!"),
        Edit(
            ago(2, 2),
            "carlos",
            "[-2, 0, 2], [-1, 0, 1]])\n",
            "[-2, 0, 2], [-1, 0, 1]])  # responds to vertical edges\n",
        ),
        Chat(
            ago(2, 1, 55),
            "carlos",
            "Ran the conv2d code as written: it works. Added a comment on what the Sobel "
            "kernel picks up.",
        ),
        Chat(
            ago(2, 1, 54),
            "carlos",
            "image = np.random.default_rng(0).random((28, 28))\n"
            "edges = conv2d(image, sobel_x, padding=1)\n"
            'edges.shape   # (28, 28): "same" padding keeps the size',
            code=True,
        ),
    ),
)

BACKPROP_HISTORY = Timeline(
    created=ago(9, 6),
    events=(
        AddSection(ago(8, 20), "rui", "## Checking gradients numerically"),
        Chat(
            ago(8, 19, 55),
            "rui",
            "Added gradient checking. It's the first thing I try when a hand-written "
            "backward pass misbehaves.",
        ),
        Edit(ago(7, 1), "lena", "reverse topolgical\norder", "reverse topological\norder"),
        Edit(
            ago(5, 6),
            "eve",
            "d1 = (W2.T @ d2) * h * (1 - h)",
            "d1 = (W2.T @ d2) * sigmoid(a1) * (1 - sigmoid(a1))",
        ),
        Chat(
            ago(5, 5, 58),
            "eve",
            "Spelled out sigmoid(a1) in the backward pass, so it matches the derivative in "
            "the comment.",
        ),
        Edit(
            ago(4, 3),
            "carlos",
            "d1 = (W2.T @ d2) * sigmoid(a1) * (1 - sigmoid(a1))",
            "d1 = (W2.T @ d2) * h * (1 - h)",
        ),
        Chat(
            ago(4, 2, 58),
            "carlos",
            "I changed it back to h * (1 - h): h already *is* sigmoid(a1), and reusing what "
            "the forward pass kept is exactly what makes backprop cheap (first paragraph). "
            "Recomputing it costs an extra exp per unit.",
        ),
        Chat(ago(4, 1), "eve", "Fair point, that's the better lesson for this page."),
        Edit(
            ago(1, 7),
            "mo",
            "This is reverse-mode automatic differentiation;",
            "This is **reverse-mode automatic differentiation**;",
        ),
    ),
)

REGULARISATION_HISTORY = Timeline(
    created=ago(8, 4),
    events=(
        Edit(ago(7, 21), "lena", "reduces varience by limiting", "reduces variance by limiting"),
        AddSection(ago(6, 3), "carlos", "## Early stopping"),
        Chat(
            ago(6, 2, 55),
            "carlos",
            "Added early stopping. Surprised it wasn't here: it's the regulariser I use most.",
        ),
        Edit(
            ago(3, 8),
            "carlos",
            'return h * keep / (1.0 - p)   # "inverted" dropout: no rescaling needed at test'
            " time\n",
            "return h * keep\n",
        ),
        Chat(
            ago(3, 7, 58),
            "carlos",
            "Simplified the dropout snippet: the division by (1 - p) looked like a leftover.",
        ),
        Restore(ago(3, 1), "eve", 2),
        Chat(
            ago(3, 0, 58),
            "eve",
            "That division is deliberate: it's *inverted* dropout. Scaling the survivors by "
            "1/(1-p) while training keeps the expected activation the same, so nothing has "
            "to change at test time. I restored revision 2.",
        ),
        Chat(
            ago(2, 23),
            "carlos",
            "Right, the paragraph above even says so. Should have read it first.",
        ),
        Edit(
            ago(1, 4),
            "rui",
            "synonym replacement for text.\n",
            "synonym replacement for text. Label smoothing, which\n"
            "trains against targets such as $0.9$ for the correct class instead of $1.0$, "
            "discourages\nover-confident predictions in the same spirit.\n",
        ),
        Chat(
            ago(1, 3, 50),
            "rui",
            "Added label smoothing next to augmentation; both keep the model from getting "
            "over-confident.",
        ),
    ),
)

RL_HISTORY = Timeline(
    created=ago(7, 7),
    events=(
        Edit(ago(6, 22), "lena", "a **Markov desicion process**", "a **Markov decision process**"),
        AddSection(ago(5, 5), "rui", "## Families of methods"),
        Chat(
            ago(5, 4, 55),
            "rui",
            "Added a table of the method families. People keep asking where PPO fits "
            "relative to Q-learning.",
        ),
        Edit(
            ago(3, 4),
            "carlos",
            "target = r + (0.0 if done else gamma * Q[s_next].max())",
            "target = r + gamma * Q[s_next].max()",
        ),
        Chat(
            ago(3, 3, 58),
            "carlos",
            "Tidied the Q-learning target, the conditional looked unnecessary.",
        ),
        Edit(
            ago(2, 9),
            "mo",
            "target = r + gamma * Q[s_next].max()",
            "target = r + (0.0 if done else gamma * Q[s_next].max())",
        ),
        Chat(
            ago(2, 8, 58),
            "mo",
            "Put the (0.0 if done else ...) back. When an episode ends there is no future "
            "reward, so the target is just r. Bootstrapping from Q[s_next] at a terminal "
            "state adds value that doesn't exist, and the estimates drift upwards.",
        ),
        Chat(ago(2, 8), "carlos", "Makes sense, thanks Mo."),
        AddSection(ago(0, 20), "eve", "## Policy gradients in one line"),
        Chat(
            ago(0, 19, 55),
            "eve",
            "Added a short policy-gradient section, since PPO is also what RLHF for language "
            "models uses.",
        ),
    ),
)

# Private: only the owner may read or edit it, so nobody else appears in its history.
DRAFT_HISTORY = Timeline(
    created=ago(6, 3),
    events=(
        Edit(ago(6, 1), "carlos", "add Gausian noise", "add Gaussian noise"),
        AddSection(ago(4, 2), "carlos", "## Open questions"),
        Edit(
            ago(1, 9),
            "carlos",
            r"a network predicts the noise $\epsilon_\theta(x_t, t)$.",
            "a network predicts the clean image $x_0$ directly.",
        ),
        Restore(ago(1, 8), "carlos", 2),
    ),
)

# Restricted: the owner (eve) and the two members who may edit it.
REVIEW_NOTES_HISTORY = Timeline(
    created=ago(5, 6),
    events=(
        AddSection(ago(5, 1), "carlos", "## Next pages to write"),
        Chat(
            ago(5, 0, 55),
            "carlos",
            "Started a list of the next pages. Tokenisation first, I think: the attention "
            "page assumes readers know what a token is.",
        ),
        Edit(ago(4, 2), "rui", "BPE, WordPeice and", "BPE, WordPiece and"),
        Edit(
            ago(3, 5),
            "rui",
            "| each claim has a citation | Eve |",
            "| each claim has a citation | Rui |",
        ),
        Chat(
            ago(3, 4, 58),
            "rui",
            "I can take citations too, Eve, if you're busy with the tokenisation page.",
        ),
        Edit(
            ago(2, 6),
            "eve",
            "| each claim has a citation | Rui |",
            "| each claim has a citation | Eve |",
        ),
        Chat(
            ago(2, 5, 58),
            "eve",
            "Thanks Rui, but you already have the equations. I'll keep citations, so I "
            "switched it back.",
        ),
    ),
)

HISTORIES: dict[str, Timeline] = {
    "attention-and-transformers": ATTENTION_HISTORY,
    "gradient-descent-and-optimisers": GRADIENT_DESCENT_HISTORY,
    "convolutional-neural-networks": CNN_HISTORY,
    "backpropagation-step-by-step": BACKPROP_HISTORY,
    "regularisation-and-overfitting": REGULARISATION_HISTORY,
    "reinforcement-learning-basics": RL_HISTORY,
    "draft-diffusion-models": DRAFT_HISTORY,
    "transformer-pages-review-notes": REVIEW_NOTES_HISTORY,
}
