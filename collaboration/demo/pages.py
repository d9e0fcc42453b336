"""The demo pages `manage.py seed` creates: their final Markdown text and who owns them.

Each text here is what the page reads like after its demo history
(`collaboration.demo.timeline`) has been played onto it. The slugs are the ones
`services.document_create` makes from the titles.
"""

from dataclasses import dataclass

from collaboration.models import Visibility

ATTENTION = r"""Transformers replaced recurrence with **attention**: every token looks at every
other token in one step and decides how much each one matters. This page builds the mechanism
from the ground up, then assembles it into the full architecture from *Attention Is All
You Need* (Vaswani et al., 2017).

## Why attention?

Recurrent networks read a sentence one token at a time and squeeze everything they have
seen into a fixed-size hidden state. Two problems follow. Information from early tokens
fades by the time the network reaches the end of a long sequence, and the computation is
sequential, so it cannot use the parallelism of a GPU. Attention solves both: any token
can read any other token directly, and all positions are processed at once.

## Scaled dot-product attention

Each token is projected into three vectors: a **query** $q$ (what am I looking for?), a
**key** $k$ (what do I contain?) and a **value** $v$ (what do I pass on if chosen). Stack
them into matrices $Q$, $K$ and $V$, one row per token. Attention is then

$$
\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\left(\frac{QK^\top}{\sqrt{d_k}}\right) V
$$

The product $QK^\top$ scores every query against every key. The softmax turns each row of
scores into weights that sum to one, and the weights mix the value vectors.

### Why divide by the square root of d_k?

If the components of $q$ and $k$ are independent with mean 0 and variance 1, their dot
product has variance $d_k$. For large $d_k$ the scores become huge, the softmax saturates
and its gradients vanish. Dividing by $\sqrt{d_k}$ brings the variance back to 1.

```python
import numpy as np

def softmax(x, axis=-1):
    x = x - x.max(axis=axis, keepdims=True)  # subtract the max for numerical stability
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)

def attention(Q, K, V, mask=None):
    d_k = Q.shape[-1]
    scores = Q @ K.swapaxes(-1, -2) / np.sqrt(d_k)
    if mask is not None:
        scores = np.where(mask, scores, -1e9)  # masked positions get ~zero weight
    weights = softmax(scores)
    return weights @ V, weights
```

## Multi-head attention

One attention pattern can only capture one kind of relationship at a time. Multi-head
attention runs $h$ attention functions in parallel, each on its own learned projection of
the input, and concatenates the results:

$$
\mathrm{head}_i = \mathrm{Attention}(XW_i^Q, XW_i^K, XW_i^V), \qquad
\mathrm{MultiHead}(X) = [\mathrm{head}_1; \dots; \mathrm{head}_h] W^O
$$

With $d_{model} = 512$ and $h = 8$, each head works in $d_k = 64$ dimensions, so the total
cost is close to that of a single full-width head.

## The transformer block

A block wraps attention and a position-wise feed-forward network in residual connections
and layer normalisation. Most modern models use the *pre-norm* ordering, which trains
more stably in deep stacks:

1. $h = x + \mathrm{MultiHead}(\mathrm{LN}(x))$
2. $y = h + \mathrm{FFN}(\mathrm{LN}(h))$, with $\mathrm{FFN}(x) = \max(0, xW_1 + b_1)W_2 + b_2$

The feed-forward layer is usually four times wider than the model ($d_{ff} = 2048$ for
$d_{model} = 512$) and holds most of the parameters.

## Positional information

Attention is permutation-invariant: shuffle the tokens and each output is shuffled the
same way. Word order has to be injected explicitly.

| Method | Idea | Used in |
|---|---|---|
| Sinusoidal | add fixed sines and cosines of different frequencies | original Transformer |
| Learned absolute | add a trained vector per position | BERT, GPT-2 |
| Rotary (RoPE) | rotate $q$ and $k$ by a position-dependent angle | LLaMA, many recent LLMs |
| ALiBi | add a distance-proportional penalty to the scores | BLOOM |

## Encoders, decoders and masks

An **encoder** lets every token attend to every other token; it suits understanding
tasks such as classification (BERT). A **decoder** adds a *causal mask* so position $i$
only sees positions $\le i$, which lets it generate text left to right (GPT). The
original encoder-decoder model adds cross-attention, where decoder queries read the
encoder's keys and values; it is still common in translation and speech recognition.

## Cost and common pitfalls

Self-attention costs $O(n^2 d)$ time and $O(n^2)$ memory in the sequence length $n$.
Doubling the context quadruples the attention matrix, which is why long-context models
rely on tricks such as FlashAttention (exact attention computed in tiles that fit in fast
on-chip memory) or sparse and sliding-window patterns.

- Forgetting the causal mask during training lets the model "see the answer" and produces
  a suspiciously low loss that collapses at generation time.
- Padding tokens must be masked too, or they soak up attention weight.
- Mixed-precision training needs the max-subtraction in softmax; without it the
  exponentials overflow.

## Further reading

- Vaswani et al., *Attention Is All You Need* (2017)
- Jay Alammar, *The Illustrated Transformer*
- Su et al., *RoFormer: Enhanced Transformer with Rotary Position Embedding* (2021)
"""


GRADIENT_DESCENT = r"""Training a neural network means finding parameters $\theta$ that make a loss
$L(\theta)$ small. Almost every method in use is a variation on one idea: take a small step
downhill, in the direction of the negative gradient. This page walks from plain gradient
descent to the adaptive optimisers used today, and explains how to choose between them.

## Plain gradient descent

The gradient $\nabla_\theta L$ points in the direction of steepest increase. Stepping the
other way with a learning rate $\eta$ gives the update

$$
\theta_{t+1} = \theta_t - \eta \, \nabla_\theta L(\theta_t)
$$

If $\eta$ is too small, training crawls; too large, and the loss oscillates or diverges.
For a quadratic bowl with curvature $\lambda$, the iteration converges only when
$\eta < 2/\lambda$. The sharpest direction of the loss surface therefore limits the step
size for *every* direction, which is the core problem the later methods address.

## Stochastic and mini-batch gradient descent

Computing the exact gradient over millions of examples for every step is wasteful.
**Stochastic gradient descent (SGD)** estimates it from a random mini-batch $B$:

$$
g_t = \frac{1}{|B|} \sum_{i \in B} \nabla_\theta \ell(x_i, y_i; \theta_t)
$$

The estimate is noisy but unbiased, and the noise is not all bad: it helps the optimiser
escape saddle points and tends to favour flatter minima, which often generalise better.
Typical batch sizes range from 32 to a few thousand.

## Momentum

Momentum keeps a running velocity, so consistent gradient directions build up speed while
directions that flip sign cancel out:

$$
v_{t+1} = \beta v_t + g_t, \qquad \theta_{t+1} = \theta_t - \eta\, v_{t+1}
$$

With $\beta = 0.9$ the velocity averages roughly the last ten gradients. In a long narrow
valley this damps the zig-zag across the valley and accelerates progress along it.
*Nesterov momentum* evaluates the gradient at the look-ahead point
$\theta_t - \eta\beta v_t$ and is usually slightly better.

## Adaptive methods: RMSProp and Adam

Adaptive optimisers give each parameter its own effective learning rate, scaled by the
recent size of its gradients. **Adam** combines momentum (first moment $m$) with
RMSProp-style scaling (second moment $v$):

$$
m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2
$$

$$
\hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}, \qquad
\theta_{t+1} = \theta_t - \eta \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}
$$

The hats correct the bias from initialising $m$ and $v$ at zero. **AdamW** applies weight
decay directly to the parameters instead of adding it to the gradient, which interacts
correctly with the adaptive scaling; it is the default for training transformers.

```python
import numpy as np

class Adam:
    def __init__(self, lr=3e-4, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        self.lr, self.b1, self.b2, self.eps, self.wd = lr, beta1, beta2, eps, weight_decay
        self.m = self.v = None
        self.t = 0

    def step(self, params, grads):
        if self.m is None:
            self.m, self.v = np.zeros_like(params), np.zeros_like(params)
        self.t += 1
        self.m = self.b1 * self.m + (1 - self.b1) * grads
        self.v = self.b2 * self.v + (1 - self.b2) * grads**2
        m_hat = self.m / (1 - self.b1**self.t)
        v_hat = self.v / (1 - self.b2**self.t)
        params -= self.lr * (m_hat / (np.sqrt(v_hat) + self.eps) + self.wd * params)  # AdamW
        return params
```

## Comparing the optimisers

| Optimiser | Extra state per parameter | Typical learning rate | Good default for |
|---|---|---|---|
| SGD | none | 0.1 (with schedule) | convex problems, quick baselines |
| SGD + momentum | 1 | 0.01 to 0.1 | CNNs on images (ResNet) |
| RMSProp | 1 | 1e-3 | RNNs, some RL agents |
| Adam / AdamW | 2 | 1e-4 to 3e-4 | transformers, most new projects |

## Learning-rate schedules

A constant learning rate is rarely best. Common schedules:

- **Warm-up**: increase $\eta$ linearly over the first few hundred or thousand steps. Adam's
  second-moment estimate is unreliable at the start, and warm-up prevents early blow-ups.
- **Step decay**: divide $\eta$ by 10 at fixed epochs (classic for ResNets).
- **Cosine decay**: $\eta_t = \eta_{min} + \tfrac12(\eta_{max}-\eta_{min})(1 + \cos(\pi t / T))$.

## Practical advice

1. Start with AdamW, $\eta = 3 \times 10^{-4}$, a short warm-up and cosine decay.
2. Run a learning-rate range test: increase $\eta$ exponentially over a few hundred steps
   and pick a value somewhat below where the loss starts to rise.
3. If the loss becomes `nan`, lower the learning rate, add gradient clipping, and check
   the data for extreme values before blaming the optimiser.
"""


CNN = r"""Convolutional neural networks (CNNs) are the classic architecture for images. They
build in two assumptions that hold for natural images: nearby pixels are related
(**locality**), and a pattern means the same thing wherever it appears (**translation
equivariance**). Both cut the number of parameters dramatically compared with a fully
connected network.

## The convolution operation

A convolutional layer slides a small kernel $w$ of size $k \times k$ over the input and
takes a weighted sum at every position. For a single channel,

$$
y_{i,j} = \sum_{u=0}^{k-1} \sum_{v=0}^{k-1} w_{u,v} \, x_{i+u,\, j+v} + b
$$

(Deep-learning libraries actually compute cross-correlation, as here; the kernel is
learned, so flipping it makes no difference.) With $C_{in}$ input channels and
$C_{out}$ output channels, the layer has $k^2 C_{in} C_{out} + C_{out}$ parameters,
independent of the image size. A fully connected layer from a $224 \times 224 \times 3$
image to the same number of outputs would need over 22 billion.

## Padding, stride and output size

For an input of width $W$, kernel size $k$, padding $p$ and stride $s$, the output width is

$$
W_{out} = \left\lfloor \frac{W + 2p - k}{s} \right\rfloor + 1
$$

"Same" padding ($p = (k-1)/2$ with $s = 1$) keeps the size; a stride of 2 halves it.

```python
import numpy as np

def conv2d(x, w, b=0.0, stride=1, padding=0):
    # x: (H, W) single-channel image, w: (k, k) kernel
    x = np.pad(x, padding)
    k = w.shape[0]
    h_out = (x.shape[0] - k) // stride + 1
    w_out = (x.shape[1] - k) // stride + 1
    y = np.empty((h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            patch = x[i * stride : i * stride + k, j * stride : j * stride + k]
            y[i, j] = np.sum(patch * w) + b
    return y

sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])  # responds to vertical edges
```

## Pooling and receptive fields

Pooling layers summarise small neighbourhoods, most often with a $2 \times 2$ maximum and
stride 2. They shrink the feature maps, add a little robustness to small shifts, and grow
the **receptive field**: the region of the input that influences one output unit. Stacking
layers grows it further; two $3 \times 3$ convolutions see a $5 \times 5$ region with fewer
parameters than one $5 \times 5$ convolution, which is why VGG used only $3 \times 3$
kernels.

## A typical architecture

Early layers detect edges and colour blobs, middle layers combine them into textures and
parts, and late layers respond to whole objects. A classifier typically follows this
pattern:

1. A stem: a strided convolution that reduces resolution early.
2. Stages of convolution, batch normalisation and ReLU, each stage halving the spatial
   size and doubling the channels.
3. Global average pooling, which turns each channel into one number.
4. A linear layer producing class scores, trained with cross-entropy.

## Landmark models

| Model | Year | Depth | Key idea | ImageNet top-5 error |
|---|---|---|---|---|
| LeNet-5 | 1998 | 7 | convolutions + subsampling for digits | n/a |
| AlexNet | 2012 | 8 | ReLU, dropout, GPU training | 15.3% |
| VGG-16 | 2014 | 16 | only 3x3 kernels, deep and uniform | 7.3% |
| GoogLeNet | 2014 | 22 | inception modules, 1x1 bottlenecks | 6.7% |
| ResNet-152 | 2015 | 152 | residual connections | 3.6% |

## Residual connections

Very deep plain networks train *worse* than shallower ones, not because of overfitting but
because optimisation gets harder. ResNet adds the input of a block to its output,
$y = F(x) + x$, so each block only has to learn a correction. Gradients flow through the
identity path unchanged, which made networks with hundreds of layers trainable.

## Practical tips

- Normalise inputs with the dataset's per-channel mean and standard deviation.
- Use data augmentation (random crops, flips, colour jitter); it is the cheapest
  regulariser for images.
- Start from pretrained weights when you have fewer than a few hundred thousand images;
  fine-tuning almost always beats training from scratch.
- Vision transformers now match or beat CNNs at large scale, but CNNs remain strong, fast
  and data-efficient, especially on small datasets and edge devices.
"""


BACKPROP = r"""Backpropagation is the algorithm that computes the gradient of the loss with
respect to every weight in a network, in about the same time as one forward pass. It is
nothing more than the chain rule, applied in the right order and with the intermediate
results reused.

## The chain rule on a computational graph

Write the network as a graph of simple operations. If $L$ depends on $w$ only through an
intermediate value $z$, then

$$
\frac{\partial L}{\partial w} = \frac{\partial L}{\partial z} \, \frac{\partial z}{\partial w}
$$

When a value feeds several later operations, its gradient is the *sum* of the
contributions from each path. Backpropagation visits the nodes in reverse topological
order, so every node's upstream gradient $\partial L / \partial z$ is ready when it is
needed. This is **reverse-mode automatic differentiation**; it is efficient because a
network has millions of inputs (weights) but a single scalar output (the loss).

## A two-layer network by hand

Take input $x$, hidden layer $h = \sigma(W_1 x + b_1)$, output $\hat y = W_2 h + b_2$ and
squared-error loss $L = \tfrac12 \lVert \hat y - y \rVert^2$. Define the error signals
$\delta_2 = \hat y - y$ and $\delta_1 = (W_2^\top \delta_2) \odot \sigma'(a_1)$, where
$a_1 = W_1 x + b_1$. Then

$$
\frac{\partial L}{\partial W_2} = \delta_2 h^\top, \quad
\frac{\partial L}{\partial b_2} = \delta_2, \quad
\frac{\partial L}{\partial W_1} = \delta_1 x^\top, \quad
\frac{\partial L}{\partial b_1} = \delta_1
$$

The pattern generalises: each layer's weight gradient is (error signal) times (input to
that layer), and the error signal moves backwards through the transposed weights.

```python
import numpy as np

def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))

def forward_backward(x, y, W1, b1, W2, b2):
    # forward pass, keeping what the backward pass needs
    a1 = W1 @ x + b1
    h = sigmoid(a1)
    y_hat = W2 @ h + b2
    loss = 0.5 * np.sum((y_hat - y) ** 2)
    # backward pass
    d2 = y_hat - y
    dW2, db2 = np.outer(d2, h), d2
    d1 = (W2.T @ d2) * h * (1 - h)  # sigmoid'(a) = s(a) * (1 - s(a))
    dW1, db1 = np.outer(d1, x), d1
    return loss, (dW1, db1, dW2, db2)
```

## Local gradients of common operations

| Operation | Forward | Local gradient |
|---|---|---|
| Add | $z = a + b$ | passes the gradient unchanged to both inputs |
| Multiply | $z = a \cdot b$ | $\partial z / \partial a = b$, $\partial z / \partial b = a$ |
| ReLU | $z = \max(0, a)$ | 1 where $a > 0$, else 0 |
| Sigmoid | $z = \sigma(a)$ | $z(1 - z)$ |
| Softmax + cross-entropy | $L = -\log p_y$ | $p - \mathrm{onehot}(y)$ |

The last row is why frameworks fuse softmax and cross-entropy: the combined gradient is
simple and numerically stable, while the separate pieces are neither.

## Checking gradients numerically

A bug in a hand-written backward pass often still lets the loss go down, just more slowly.
Compare against centred finite differences,

$$
\frac{\partial L}{\partial \theta_i} \approx
\frac{L(\theta + \epsilon e_i) - L(\theta - \epsilon e_i)}{2\epsilon}
$$

with $\epsilon \approx 10^{-5}$ in double precision. A relative error below $10^{-7}$ is
good; above $10^{-3}$ there is almost certainly a bug.

## Vanishing and exploding gradients

The backward pass multiplies one Jacobian per layer. If their norms are mostly below one,
the gradient shrinks exponentially with depth; above one, it explodes. The sigmoid makes
this worse, since its derivative is at most $0.25$. The standard remedies:

- ReLU-family activations, whose derivative is exactly 1 on the active side;
- careful initialisation (Xavier/Glorot for tanh, He for ReLU) so activations keep their
  variance from layer to layer;
- normalisation layers and residual connections;
- gradient clipping, particularly for recurrent networks.

## Memory: why training needs more than inference

The backward pass needs the activations from the forward pass, so training stores every
intermediate tensor. **Activation checkpointing** stores only some of them and recomputes
the rest during the backward pass, trading roughly one extra forward pass for a large
memory saving.
"""


REGULARISATION = r"""A model that scores 99% on its training data and 70% on new data has not
learned the task; it has memorised the examples. **Regularisation** is any change to
training that lowers the error on unseen data, usually at a small cost in training error.

## Overfitting and the bias-variance trade-off

For squared error, the expected test error of a model decomposes into three parts:

$$
\mathbb{E}\left[(y - \hat f(x))^2\right]
= \mathrm{Bias}[\hat f(x)]^2 + \mathrm{Var}[\hat f(x)] + \sigma^2
$$

A model that is too simple has high bias (it underfits). A model that is too flexible for
the amount of data has high variance: it fits the noise $\sigma^2$ in its particular
training set. Regularisation reduces variance by limiting how freely the model can fit.

Modern over-parameterised networks complicate this picture ("double descent": test error
can fall again as models grow far beyond the interpolation point), but the practical
advice is unchanged: watch the validation loss, not the training loss.

## Diagnosing it

Plot training and validation loss together:

| What you see | Likely cause | What to try |
|---|---|---|
| both high, close together | underfitting | bigger model, train longer, fewer constraints |
| training low, validation high | overfitting | more data, augmentation, stronger regularisation |
| validation falls then rises | overfitting sets in mid-training | early stopping, lower LR |
| validation better than training | dropout or augmentation active only in training | usually fine |

## Weight decay (L2 regularisation)

Add a penalty on the size of the weights to the loss:

$$
L_{reg}(\theta) = L(\theta) + \frac{\lambda}{2} \lVert \theta \rVert_2^2
$$

Its gradient $\lambda\theta$ pulls every weight towards zero at each step, which favours
smoother functions. From a Bayesian point of view it is a Gaussian prior on the weights.
**L1** regularisation, $\lambda \lVert \theta \rVert_1$, pushes many weights exactly to zero
and yields sparse models. With adaptive optimisers, use *decoupled* weight decay (AdamW)
rather than adding the L2 term to the loss.

## Dropout

During training, dropout sets each activation to zero with probability $p$ and scales the
survivors by $1/(1-p)$ so the expected value is unchanged. At test time it does nothing.
A unit can no longer rely on specific partners, so the network learns redundant,
more robust features; the result behaves like an average over many thinned networks.

```python
import numpy as np

def dropout(h, p=0.5, training=True, rng=np.random.default_rng()):
    if not training or p == 0.0:
        return h
    keep = rng.random(h.shape) >= p
    return h * keep / (1.0 - p)   # "inverted" dropout: no rescaling needed at test time
```

Typical rates are 0.1 in transformers and 0.5 in the large fully connected layers of
older CNNs.

## Early stopping

Keep the weights from the epoch with the best validation loss and stop when it has not
improved for a number of epochs (the *patience*). Early stopping is cheap and effective;
for gradient descent on a quadratic loss it is even mathematically close to L2
regularisation, with the number of steps playing the role of $1/\lambda$.

## Data augmentation and more data

The most reliable regulariser is more data. When collecting it is impossible, create
plausible variations: crops, flips and colour changes for images; noise and time shifts
for audio; back-translation or synonym replacement for text. Label smoothing, which
trains against targets such as $0.9$ for the correct class instead of $1.0$, discourages
over-confident predictions in the same spirit.

## Choosing and combining

1. Get a model that overfits first; that proves it has enough capacity.
2. Add augmentation and a modest weight decay ($10^{-4}$ to $10^{-2}$ with AdamW).
3. Add dropout if the gap between training and validation loss is still large.
4. Use early stopping throughout, and tune regularisation strength on the validation set,
   never on the test set.
"""


RL_BASICS = r"""Reinforcement learning (RL) studies agents that learn by trial and error: they act,
observe a reward, and adjust their behaviour to collect more reward over time. There is no
labelled answer for each situation, only a signal saying how well things went.

## Markov decision processes

The standard formalism is a **Markov decision process** $(S, A, P, R, \gamma)$: states,
actions, transition probabilities $P(s' \mid s, a)$, a reward function and a discount
factor $0 \le \gamma < 1$. The agent follows a policy $\pi(a \mid s)$ and wants to
maximise the expected **return**

$$
G_t = \sum_{k=0}^{\infty} \gamma^k r_{t+k+1}
$$

The discount keeps the sum finite and expresses a preference for reward sooner rather
than later; $\gamma = 0.99$ means rewards about 100 steps away still matter.

## Value functions and the Bellman equation

The **action-value** $Q^\pi(s, a)$ is the expected return after taking action $a$ in state
$s$ and then following $\pi$. The optimal action-values satisfy the Bellman optimality
equation

$$
Q^*(s, a) = \mathbb{E}_{s'}\left[ r + \gamma \max_{a'} Q^*(s', a') \right]
$$

Once $Q^*$ is known, acting optimally is easy: pick $\arg\max_a Q^*(s, a)$.

## Q-learning

Q-learning estimates $Q^*$ from experience without knowing $P$. After each transition
$(s, a, r, s')$ it moves the estimate towards the Bellman target:

$$
Q(s, a) \leftarrow Q(s, a) + \alpha \left[ r + \gamma \max_{a'} Q(s', a') - Q(s, a) \right]
$$

```python
import numpy as np

def q_learning(env, episodes=500, alpha=0.1, gamma=0.99, epsilon=0.1, seed=0):
    rng = np.random.default_rng(seed)
    Q = np.zeros((env.n_states, env.n_actions))
    for _ in range(episodes):
        s, done = env.reset(), False
        while not done:
            # epsilon-greedy: explore sometimes, otherwise exploit the current estimate
            a = rng.integers(env.n_actions) if rng.random() < epsilon else int(Q[s].argmax())
            s_next, r, done = env.step(a)
            target = r + (0.0 if done else gamma * Q[s_next].max())
            Q[s, a] += alpha * (target - Q[s, a])
            s = s_next
    return Q
```

## Exploration versus exploitation

An agent that always takes the best-looking action may never discover a better one. The
simplest fix is $\epsilon$-greedy exploration, usually with $\epsilon$ decaying over
training. More principled approaches add optimism (upper confidence bounds), entropy
bonuses or intrinsic curiosity rewards.

## Families of methods

| Family | Learns | Examples | Works well when |
|---|---|---|---|
| Value-based | $Q(s, a)$ | Q-learning, DQN | discrete actions |
| Policy gradient | $\pi_\theta(a \mid s)$ directly | REINFORCE, PPO | continuous actions |
| Actor-critic | both a policy and a value | A2C, SAC | most modern control tasks |
| Model-based | the dynamics $P$ | Dyna, MuZero | data is expensive, planning helps |

## Policy gradients in one line

Policy-gradient methods adjust $\theta$ to make good actions more likely:

$$
\nabla_\theta J(\theta)
= \mathbb{E}_\pi\left[ \nabla_\theta \log \pi_\theta(a_t \mid s_t) \, \hat A_t \right]
$$

where $\hat A_t$ is an advantage estimate: how much better the action was than average.
PPO, the workhorse behind RLHF for language models, clips the update so the new policy
stays close to the old one.

## Pitfalls

- Reward hacking: agents optimise exactly what you reward, loopholes included.
- High variance: results can differ wildly between random seeds; report several.
- Deep Q-networks need a replay buffer and a slowly updated target network to train
  stably.
"""


PRIVATE_DRAFT = r"""Notes for a future page on diffusion models. Not ready for readers yet.

## Outline

1. Forward process: add Gaussian noise over $T$ steps.
2. Reverse process: a network predicts the noise $\epsilon_\theta(x_t, t)$.
3. Training objective: $\lVert \epsilon - \epsilon_\theta(x_t, t) \rVert^2$.

## Open questions

- How much of the score-matching view should we include?
- Which sampler to show in code: DDPM or DDIM?
"""


RESTRICTED_NOTES = r"""Shared notes for the reviewers working on the transformer pages.

## Review checklist

| Check | Owner |
|---|---|
| every equation matches the code | Rui |
| each claim has a citation | Eve |
| code runs as written | Carlos |

## Next pages to write

- Tokenisation: BPE, WordPiece and SentencePiece
- KV caching and why decoding is memory-bound
"""


@dataclass(frozen=True)
class DemoDocument:
    """One demo page; `members` are the editors of a restricted page."""

    slug: str
    title: str
    owner: str
    tags: tuple[str, ...]
    content: str
    visibility: str = Visibility.PUBLIC
    members: tuple[str, ...] = ()


DEMO_DOCUMENTS = (
    DemoDocument(
        "attention-and-transformers",
        "Attention and Transformers",
        "eve",
        ("transformers", "attention", "nlp", "deep-learning"),
        ATTENTION,
    ),
    DemoDocument(
        "gradient-descent-and-optimisers",
        "Gradient Descent and Optimisers",
        "carlos",
        ("optimization", "deep-learning"),
        GRADIENT_DESCENT,
    ),
    DemoDocument(
        "convolutional-neural-networks",
        "Convolutional Neural Networks",
        "rui",
        ("computer-vision", "deep-learning"),
        CNN,
    ),
    DemoDocument(
        "backpropagation-step-by-step",
        "Backpropagation, Step by Step",
        "carlos",
        ("deep-learning", "optimization"),
        BACKPROP,
    ),
    DemoDocument(
        "regularisation-and-overfitting",
        "Regularisation and Overfitting",
        "eve",
        ("regularization", "deep-learning", "probability"),
        REGULARISATION,
    ),
    DemoDocument(
        "reinforcement-learning-basics",
        "Reinforcement Learning Basics",
        "mo",
        ("reinforcement-learning", "probability"),
        RL_BASICS,
    ),
    DemoDocument(
        "draft-diffusion-models",
        "Draft: Diffusion Models",
        "carlos",
        ("deep-learning", "computer-vision"),
        PRIVATE_DRAFT,
        visibility=Visibility.PRIVATE,
    ),
    DemoDocument(
        "transformer-pages-review-notes",
        "Transformer Pages: Review Notes",
        "eve",
        ("transformers",),
        RESTRICTED_NOTES,
        visibility=Visibility.RESTRICTED,
        members=("rui", "carlos"),
    ),
)
