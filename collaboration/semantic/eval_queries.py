"""Learner queries over the demo content (`manage.py seed`), with what answers each.

Written the way a learner types into a search box, not copied from the pages: most share
few words with the text that answers them. A target is "<document slug>#<section anchor>"
(the anchor is empty for the text before the first heading) or "question:<title>" for a
demo question (community/demo/content.py). Only public demo pages are targets: the
evaluation searches as a visitor who is not signed in.
"""

from __future__ import annotations

from dataclasses import dataclass

ATTENTION = "attention-and-transformers"
OPTIMISERS = "gradient-descent-and-optimisers"
CNN = "convolutional-neural-networks"
BACKPROP = "backpropagation-step-by-step"
REGULARISATION = "regularisation-and-overfitting"
RL = "reinforcement-learning-basics"

Q_SQRT = "question:Why does attention divide the scores by the square root of d_k?"
Q_WARMUP = "question:Is warm-up still needed with AdamW if I use a small learning rate?"
Q_VALIDATION = "question:What is the difference between a validation set and a test set?"


@dataclass(frozen=True)
class EvalQuery:
    query: str
    relevant: tuple[str, ...]


def _s(slug: str, *anchors: str) -> tuple[str, ...]:
    return tuple(f"{slug}#{anchor}" for anchor in anchors)


EVAL_QUERIES = (
    # Overfitting and regularisation
    EvalQuery(
        "why does my validation loss go up",
        _s(
            REGULARISATION,
            "diagnosing-it",
            "overfitting-and-the-bias-variance-trade-off",
            "early-stopping",
        ),
    ),
    EvalQuery(
        "my model memorises the training data",
        _s(REGULARISATION, "", "overfitting-and-the-bias-variance-trade-off"),
    ),
    EvalQuery(
        "what is the bias variance tradeoff",
        _s(REGULARISATION, "overfitting-and-the-bias-variance-trade-off"),
    ),
    EvalQuery("how does dropout work", _s(REGULARISATION, "dropout")),
    EvalQuery("what is weight decay", _s(REGULARISATION, "weight-decay-l2-regularisation")),
    EvalQuery("what is l1 regularization", _s(REGULARISATION, "weight-decay-l2-regularisation")),
    EvalQuery("when should I stop training", _s(REGULARISATION, "early-stopping")),
    EvalQuery(
        "how to get more training data for images",
        _s(REGULARISATION, "data-augmentation-and-more-data") + _s(CNN, "practical-tips"),
    ),
    EvalQuery("what is label smoothing", _s(REGULARISATION, "data-augmentation-and-more-data")),
    EvalQuery(
        "difference between validation and test set",
        (Q_VALIDATION, *_s(REGULARISATION, "choosing-and-combining")),
    ),
    # Attention and transformers
    EvalQuery(
        "what is the softmax of attention scores for",
        _s(ATTENTION, "scaled-dot-product-attention"),
    ),
    EvalQuery(
        "why do we divide by sqrt dk in attention",
        (Q_SQRT, *_s(ATTENTION, "why-divide-by-the-square-root-of-d_k")),
    ),
    EvalQuery(
        "why is a saturated softmax bad for training",
        (Q_SQRT, *_s(ATTENTION, "why-divide-by-the-square-root-of-d_k")),
    ),
    EvalQuery(
        "how does the model know the order of words", _s(ATTENTION, "positional-information")
    ),
    EvalQuery("what is RoPE", _s(ATTENTION, "positional-information")),
    EvalQuery(
        "why do GPT models need a causal mask",
        _s(ATTENTION, "encoders-decoders-and-masks", "cost-and-common-pitfalls"),
    ),
    EvalQuery("difference between BERT and GPT", _s(ATTENTION, "encoders-decoders-and-masks")),
    EvalQuery(
        "why is attention slow for long documents", _s(ATTENTION, "cost-and-common-pitfalls")
    ),
    EvalQuery(
        "what are multiple heads in attention good for", _s(ATTENTION, "multi-head-attention")
    ),
    EvalQuery(
        "what is layer norm doing in a transformer block", _s(ATTENTION, "the-transformer-block")
    ),
    EvalQuery("why did transformers replace RNNs", _s(ATTENTION, "why-attention", "")),
    # Optimisers
    EvalQuery("my loss became nan what should I do", _s(OPTIMISERS, "practical-advice")),
    EvalQuery(
        "how do I pick a learning rate",
        _s(OPTIMISERS, "practical-advice", "learning-rate-schedules", "plain-gradient-descent"),
    ),
    EvalQuery("what does momentum do in sgd", _s(OPTIMISERS, "momentum")),
    EvalQuery(
        "difference between adam and adamw",
        _s(OPTIMISERS, "adaptive-methods-rmsprop-and-adam")
        + _s(REGULARISATION, "weight-decay-l2-regularisation"),
    ),
    EvalQuery("is warmup needed", (Q_WARMUP, *_s(OPTIMISERS, "learning-rate-schedules"))),
    EvalQuery(
        "why use mini batches instead of the full dataset",
        _s(OPTIMISERS, "stochastic-and-mini-batch-gradient-descent"),
    ),
    EvalQuery(
        "which optimizer should I use for a transformer",
        _s(
            OPTIMISERS,
            "comparing-the-optimisers",
            "practical-advice",
            "adaptive-methods-rmsprop-and-adam",
        ),
    ),
    # Convolutional networks
    EvalQuery(
        "how do I compute the output size of a conv layer",
        _s(CNN, "padding-stride-and-output-size"),
    ),
    EvalQuery("what is a receptive field", _s(CNN, "pooling-and-receptive-fields")),
    EvalQuery("what does max pooling do", _s(CNN, "pooling-and-receptive-fields")),
    EvalQuery("why does resnet add the input to the output", _s(CNN, "residual-connections")),
    EvalQuery("should I train a cnn from scratch or fine tune", _s(CNN, "practical-tips")),
    EvalQuery(
        "how many parameters does a convolution layer have", _s(CNN, "the-convolution-operation")
    ),
    EvalQuery("which cnn won imagenet", _s(CNN, "landmark-models")),
    # Backpropagation
    EvalQuery(
        "how does backprop use the chain rule",
        _s(BACKPROP, "the-chain-rule-on-a-computational-graph", ""),
    ),
    EvalQuery(
        "how do I check my gradients are correct", _s(BACKPROP, "checking-gradients-numerically")
    ),
    EvalQuery(
        "why do gradients vanish in deep networks",
        _s(BACKPROP, "vanishing-and-exploding-gradients"),
    ),
    EvalQuery("derivative of relu", _s(BACKPROP, "local-gradients-of-common-operations")),
    EvalQuery(
        "gradient of softmax with cross entropy",
        _s(BACKPROP, "local-gradients-of-common-operations"),
    ),
    EvalQuery(
        "compute gradients of a two layer network by hand",
        _s(BACKPROP, "a-two-layer-network-by-hand"),
    ),
    EvalQuery(
        "why does training use more memory than inference",
        _s(BACKPROP, "memory-why-training-needs-more-than-inference"),
    ),
    # Reinforcement learning
    EvalQuery("what is a markov decision process", _s(RL, "markov-decision-processes")),
    EvalQuery("what does the discount factor gamma mean", _s(RL, "markov-decision-processes")),
    EvalQuery("how does q learning update its estimates", _s(RL, "q-learning")),
    EvalQuery(
        "exploration vs exploitation epsilon greedy", _s(RL, "exploration-versus-exploitation")
    ),
    EvalQuery("what is PPO", _s(RL, "policy-gradients-in-one-line", "families-of-methods")),
    EvalQuery("why do my rl results differ between seeds", _s(RL, "pitfalls")),
    EvalQuery("what is the bellman equation", _s(RL, "value-functions-and-the-bellman-equation")),
    EvalQuery("what is reward hacking", _s(RL, "pitfalls")),
)
