"""Identity and Dirac initialization: exact identity maps, and the units they leave untrainable."""

import sympy as sp
import sympy.stats as st

from derivations.core import CALCULUS, EXPECTATION, Derivation, Step, eq

n = sp.Symbol("n", positive=True, integer=True)
depth = sp.Symbol("depth", positive=True, integer=True)
layer = sp.Symbol("l", positive=True, integer=True)
q = sp.Symbol("q", positive=True)
identity = sp.Identity(n)

# the Dirac kernel: channel c of the output reads channel c of the input at the kernel centre r
c = sp.Symbol("c", positive=True, integer=True)
d, j = sp.symbols("d j", positive=True, integer=True)
extra, s, r, t = sp.symbols("m s r t", integer=True, nonnegative=True)
image = sp.Function("y")
dirac_conv = sp.Sum(sp.KroneckerDelta(c, d) * sp.KroneckerDelta(s, r) * image(d, t + s - r), (d, 1, c + extra),
                    (s, 0, 2 * r))

# a widening eye_: row n_in + k of the partial identity
n_in = sp.Symbol("n_in", positive=True, integer=True)
k = sp.Symbol("k", positive=True, integer=True)
x_entry = sp.Function("x")
extra_row = sp.Sum(sp.KroneckerDelta(n_in + k, j) * x_entry(j), (j, 1, n_in))

# one unit's slice of the network: input x, incoming weight w (its row of eye_), outgoing weight v
x, w, v, w2, w3, v2, v3, v0 = sp.symbols("x w v w_2 w_3 v_2 v_3 v_0", real=True)
relu = sp.Piecewise((w * x, w * x > 0), (0, True))  # its derivative at 0 is 0, torch's convention

# the identity-initialised linear stack: loss tr(W_3 W_2 W_1 x g^T) = g^T W_3 W_2 W_1 x
g_vec, x_vec = sp.MatrixSymbol("g", n, 1), sp.MatrixSymbol("x", n, 1)
W1, W2, W3 = (sp.MatrixSymbol(f"W_{i}", n, n) for i in (1, 2, 3))
linear_loss = sp.Trace(W3 * W2 * W1 * x_vec * g_vec.T)

z = st.Normal("z", 0, sp.sqrt(q))
relu_relu_z = sp.Max(sp.Max(z, 0), 0, evaluate=False)  # relu(I relu(z)), kept unevaluated

DERIVATION = Derivation(
    slug="identity-init",
    title="Identity and Dirac weights: an exact identity map, and units that never train",
    reference="Le, Jaitly & Hinton (2015), A Simple Way to Initialize Recurrent Networks of Rectified Linear "
    "Units, arXiv:1504.00941 (IRNN); Zhang, Dauphin & Ma (2019), Fixup, sec. 2 (identity at initialization); "
    "Zagoruyko & Komodakis (2017), DiracNets, arXiv:1706.00388; Zhao, Schäfer & Anandkumar (2022), ZerO, "
    "sec. 3 (training degeneracy of partial identities); torch.nn.init eye_, dirac_.",
    assumptions=(
        "eye_: $W_{ij} = \\delta_{ij}$ for a weight $(n_\\text{out}, n_\\text{in})$ (a partial identity when "
        "$n_\\text{out} \\ne n_\\text{in}$)",
        "dirac_: $K_{c,d,s} = \\delta_{cd}\\,\\delta_{sr}$ for an odd kernel of size $2r + 1$ (centre $r$), "
        "channels $c \\le \\min(C_\\text{out}, C_\\text{in})$, one group",
        "zero biases; activations with $\\phi(0) = 0$ (ReLU, tanh, ...); ReLU's derivative at 0 is 0 (torch)",
        "a unit's slice $f = v\\,\\phi(w x)$: input $x$, incoming weight $w$, outgoing weight $v$; the rest of "
        "the network does not depend on $w, v$, and $\\partial\\mathcal{L}/\\partial\\theta = "
        "\\mathcal{L}'(f)\\,\\partial f/\\partial\\theta$",
    ),
    summary="A stack of identities is the identity: a linear network keeps its input exactly, and with ReLU "
    "the signal is $\\operatorname{relu}(x)$ at every depth ($E = q/2$), where i.i.d. weights of the same "
    "$n E[w^2] = 1$ decay as $2^{-L}$. The caveat: a widening eye_ or dirac_ leaves zero rows, and with "
    "ReLU those units get exactly zero gradient forever; identical units receive identical gradients.",
    steps=(
        Step(eq(sp.Trace(identity) / n**2, 1 / n),
             "eye_ of a square layer: the $n^2$ entries have mean square $\\|I\\|_F^2/n^2 = 1/n$, the same "
             "$n E[w^2] = 1$ as LeCun's variance", CALCULUS),
        Step(eq(sp.MatPow(identity, depth), identity),
             "$L$ identity layers compose to the identity: $x_L = x_0$ exactly, every singular value of the "
             "Jacobian is 1 (dynamical isometry at any depth)", CALCULUS),
        Step(eq(sp.Product(sp.Rational(1, 2), (layer, 1, depth)), 2**-depth),
             "i.i.d. weights with that variance in a ReLU net: the factor $n\\operatorname{Var}(w)/2 = 1/2$ "
             "per layer (kaiming) gives $2^{-L}$", CALCULUS),
        Step(eq(st.Expectation(relu_relu_z**2), q / 2),
             "the identity with ReLU: after the first layer the signal is non-negative and the next "
             "$\\operatorname{relu}(I\\,\\cdot)$ leaves it unchanged, so $E[h_L^2] = E[\\operatorname{relu}(z)^2] = q/2$ "
             "for every $L \\ge 1$: no decay (the weights are not i.i.d., so the mean field does not apply)",
             EXPECTATION),
        Step(eq(dirac_conv, image(c, t)),
             "dirac_: $\\sum_d \\sum_s \\delta_{cd}\\,\\delta_{sr}\\,y_{d,\\,t+s-r} = y_{c,t}$, the convolution "
             "copies channel $c$ at every position: the same identity map", CALCULUS),
        Step(eq(extra_row, 0),
             "a widening eye_ ($n_\\text{out} > n_\\text{in}$): row $n_\\text{in} + k$ is zero, so that unit's "
             "pre-activation is 0 for every input (likewise the extra output channels of dirac_)", CALCULUS),
        Step(eq(sp.Subs(sp.Derivative(v * relu, v), w, 0), 0),
             "its outgoing weight gets $\\partial f/\\partial v = \\phi(0) = 0$", CALCULUS),
        Step(eq(sp.Subs(sp.Derivative(v * relu, w), w, 0), 0),
             "ReLU: its incoming weight gets $v\\,x\\,\\operatorname{relu}'(0) = 0$ for any $v$: both stay where "
             "they are at every step of any gradient method, so the unit never trains", CALCULUS),
        Step(eq(sp.Subs(sp.Derivative(v * sp.tanh(w * x), w), w, 0), v * x),
             "tanh ($\\phi'(0) = 1$): the incoming gradient is $v\\,x$, so the unit trains, unless the next "
             "layer ignores it ($v = 0$, e.g. a narrowing eye_ after the widening one)", CALCULUS),
        Step(eq(sp.Subs(sp.Derivative(v2 * sp.tanh(w2 * x) + v3 * sp.tanh(w3 * x), w2)
                        - sp.Derivative(v2 * sp.tanh(w2 * x) + v3 * sp.tanh(w3 * x), w3),
                        (w2, w3, v2, v3), (0, 0, v0, v0)), 0),
             "symmetry: two such units with equal outgoing weights get equal gradients, so they stay "
             "identical (the extra units of a widening eye_ act as one)", CALCULUS),
        Step(eq(sp.Subs(sp.Derivative(linear_loss, W1), (W2, W3), (identity, identity)), g_vec * x_vec.T),
             "square identity stack, loss gradient $g$ at the output: layer 1's gradient at $W_l = I$ is "
             "$g x^\\top$", CALCULUS),
        Step(eq(sp.Subs(sp.Derivative(linear_loss, W3), (W1, W2), (identity, identity)), g_vec * x_vec.T),
             "and so is layer 3's (and every layer's): all layers receive the same first update", CALCULUS),
    ),
    result=eq(sp.MatPow(identity, depth), identity),
    notes=(
        "The widening caveat is what ZerO (Zhao et al. 2022) fixes: it fills the zero block of a widening "
        "layer with a scaled Hadamard matrix, so every unit gets a non-zero input and gradient "
        "([ZerO](zero-hadamard.md)). Other remedies: add small noise to the identity, use it for square "
        "layers only, or keep the identity as a fixed part of the parameterisation, $W = "
        "\\operatorname{diag}(a) I + W'$ with $W'$ random (DiracNets).",
        "The identity is also the natural state of a residual block at initialization (Fixup, ReZero): see "
        "[Residual scaling](residual-scaling.md).",
    ),
)
