"""The errata of the source article, as data: one entry per defect.

The article (``SOURCE``: not shipped with the course, which quotes only the short lines it
corrects) compares GANs and VAEs; its maths, prose and both code listings are wrong in many
places.  Each entry quotes the short fragment it corrects (verbatim, so a test can find it in
the article, or in the article's fragments stored under ``tests/data``), says what goes wrong
and why, and gives the fix.  ``FORMULAS`` holds the article's two objectives, each quoted whole
(one line each) beside the corrected one.
A code entry also names the line of the corrected listing that fixes it (``fixed_gan``,
``fixed_vae``: fragments of lines that carry the entry's ``# fixes`` tag), so a test can check
that every tag sits where the defect is fixed. An M entry names such lines only where a listing
computes the formula it corrects or supplies (kinds ``maths`` and ``omission``): prose is fixed in prose.  Notebook 03 renders the catalogue; tests walk it.

Each entry has one kind (``CATEGORIES``, defined in ``KINDS``). ``FATAL`` picks the defects that
``FATAL_RULE`` calls fatal, each with the reason; ``STOP_ORDER`` orders the crashes by where they
stop the run.
"""

from __future__ import annotations

from dataclasses import dataclass

CATEGORIES = {
    "crash": "crash",
    "silent": "silent wrong result",
    "maths": "wrong maths",
    "omission": "omission",
    "misleading": "misleading",
    "style": "style",
}

# What puts an entry in each category (one category per entry: the first that applies).
KINDS = {
    "crash": "the code raises an exception",
    "silent": "the code runs and computes a wrong result",
    "maths": "a formula that is wrong, or a wrong statement of what a formula means",
    "omission": "a formula or statement that is right as far as it goes but leaves out what the reader needs "
                "to use it (a result, a term, an assumption)",
    "misleading": "a wrong or unsupported claim: in prose, or in code that looks as if it does what it does not "
                  "(a name, a line with no effect)",
    "style": "a legitimate choice that goes against common practice or wastes work, without a wrong result",
}


@dataclass(frozen=True)
class Erratum:
    id: str           # M = maths and prose, G = GAN listing (4.1.1), V = VAE listing (4.2.1)
    where: str        # section, and the function or line
    quote: str        # verbatim from the article
    category: str     # a key of CATEGORIES
    problem: str      # what goes wrong, and why
    fix: str
    translation: str = ""  # English, for Chinese prose
    # Fragments of the corrected listings' lines that carry this entry's "# fixes" tag: every such
    # line holds one of them, and each of them lies on such a line (a str is one fragment). A fix that
    # only deletes lines names none; listings.REWRITTEN names what it deletes (G5).
    fixed_gan: tuple[str, ...] | str = ()
    fixed_vae: tuple[str, ...] | str = ()

    def __post_init__(self):
        for name in ("fixed_gan", "fixed_vae"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, (value,))

    def fixed_in(self, listing: str) -> tuple[str, ...]:
        """The fragments for one corrected listing, ``"gan"`` or ``"vae"``."""
        return {"gan": self.fixed_gan, "vae": self.fixed_vae}[listing]


ERRATA = [
    # --- maths and prose --------------------------------------------------------------
    Erratum("M1", "§2.2 and §3.2.1", "VAEs通过最小化重构样本与输入数据之间的差异来学习数据的生成模型", "misleading",
            "Describes a plain autoencoder. A VAE maximises the ELBO: reconstruction log-likelihood minus the KL "
            "from q(z|x) to the prior; without the prior term there is nothing to sample from.",
            "A VAE maximises E_q[log p(x|z)] - KL(q(z|x) || p(z)), a lower bound on log p(x).",
            "VAEs learn the generative model by minimising the difference between reconstructions and inputs"),
    Erratum("M2", "§3.1.2 step 4", "重复步骤2和3，直到生成器和判别器的参数收敛", "misleading",
            "GAN training is a two-player game; simultaneous or alternating gradient steps need not converge "
            "(they cycle or spiral, notebook 01 §6). Practitioners stop on sample quality, not parameter convergence.",
            "Train for a budget, monitor sample metrics (FID) and keep the best checkpoint.",
            "Repeat steps 2 and 3 until the parameters of the generator and discriminator converge"),
    Erratum("M3", "§3.1.2 steps 2-3 vs the §4.1.1 train loop", "2. 训练生成器：", "misleading",
            "The steps train the generator first (step 2) and the discriminator second (step 3), but the "
            "article's own train() does the opposite: each iteration updates D on a real and a generated "
            "batch ('# 训练判别器') and only then G ('# 训练生成器'). The order by itself is not an error: the "
            "alternating loops G, D, G, D, ... and D, G, D, G, ... differ only in their very first update "
            "(one G step against an untrained D); after it, every G step follows the latest D step in both. "
            "The defect is that the algorithm and the code disagree.",
            "Describe the algorithm the code runs, Goodfellow et al. (2014, Algorithm 1): update D (k steps, "
            "usually k = 1) on real and generated data, then update G against the updated D (a new forward "
            "pass through it, as the corrected listing does); repeat.",
            "2. Train the generator:"),
    Erratum("M4", "§3.1.3 formula", r"E_{z\sim p_{z}(z)}[\log (1-D(G(z)))]", "omission",
            "The value function is Goodfellow et al.'s and right, but as the generator's objective this term "
            "is the saturating loss: its gradient with respect to the "
            "discriminator's logit is -D(G(z)), which vanishes when the discriminator rejects the fakes, i.e. "
            "early in training. The article never says that practice uses the non-saturating loss, whose "
            "gradient there is -(1 - D(G(z))).",
            "Train G to minimise -E[log D(G(z))] (same fixed point, useful gradients); notebook 01 §4.",
            fixed_gan="g_loss = bce(tf.ones_like(fake_output), fake_output)"),
    Erratum("M5", "§3.1.3 explanation", "表示判别器对真实数据的预测能力", "misleading",
            "Vague: the two terms are the log-likelihoods the discriminator assigns to the correct labels "
            "(binary cross-entropy, negated); D maximises their sum, G minimises the second.",
            "Say: V(D,G) is the negated binary cross-entropy of D on real (label 1) and generated (label 0) data.",
            "represents the discriminator's ability to predict real data"),
    Erratum("M6", "§3.2.3 formula", r"||E(z)-z||^2", "maths",
            "The encoder maps images to latents; E(z) applies it to a latent, which is undefined (a shape error "
            "in code). The term has no counterpart in the VAE objective.",
            "Replace the second term with KL(q(z|x) || p(z)); for a diagonal Gaussian q it is "
            "1/2 sum(mu^2 + sigma^2 - 1 - log sigma^2).",
            fixed_vae="kl_divergence = -0.5 * tf.reduce_sum("),
    Erratum("M7", "§3.2.3 formula", r"\min_{E,D}E_{x\sim p_{data}(x)}[||x-D(E(x))||^2]", "maths",
            "Deterministic encoder and decoder, no distribution over z and no KL term: this is an autoencoder "
            "objective, not a VAE's. Its optimum leaves the scale of the codes arbitrary, so decoding prior "
            "samples produces arbitrary outputs (notebook 02 §3).",
            "Maximise the ELBO: E_{q(z|x)}[log p(x|z)] - KL(q(z|x) || p(z)) with a stochastic encoder.",
            fixed_vae="loss = reconstruction_loss + kl_divergence"),
    Erratum("M8", "§3.2.3 explanation", "用于平衡编码器和解码器之间的损失", "maths",
            "β weights the KL to the prior against the reconstruction term, a rate-distortion trade-off "
            "(β-VAE); it does not balance an encoder loss against a decoder loss (in the article's formula it "
            "even multiplies a term that is no VAE term, M6). Because KL >= 0, for every β >= 1: "
            "E_q[log p(x|z)] - β KL <= E_q[log p(x|z)] - KL = ELBO <= log p(x), so β >= 1 still gives a lower "
            "bound on log p(x), looser as β grows; β = 1 is the ELBO itself, the tightest of the family; only "
            "β < 1 can exceed log p(x) and is no bound. Its effect also depends on the likelihood's scale (V11).",
            "β multiplies KL(q(z|x) || p(z)): β = 1 is the ELBO; β > 1 a looser bound that favours simpler codes "
            "and blurrier reconstructions; β < 1 sharper reconstructions and no bound. Report likelihoods with "
            "β = 1.",
            "used to balance the losses between the encoder and the decoder"),
    Erratum("M9", "§3.2.3 formula", r"||x-D(E(x))||^2", "omission",
            "A squared error is the log-likelihood of a Gaussian with an unstated, fixed variance; that hidden "
            "variance sets the effective KL weight. For binary-ish MNIST pixels a Bernoulli likelihood is natural.",
            "State the likelihood p(x|z): Bernoulli logits on binarized MNIST, reported in nats.",
            fixed_vae="sigmoid_cross_entropy_with_logits"),
    Erratum("M10", "§3.2.2 step 2", "对输入数据进行编码，将其压缩为一个低维的随机变量", "omission",
            "Says the code is a random variable but never says how it is sampled so that gradients flow: "
            "the reparameterization z = mu + sigma * eps is the key step of a VAE and is missing (and wrong in "
            "the listing, V2).",
            "Encode to (mu, log sigma^2), sample eps ~ N(0, I), set z = mu + exp(log sigma^2 / 2) * eps.",
            "Encode the input, compressing it into a low-dimensional random variable",
            fixed_vae="Lambda(lambda x: x[0] + ops.exp"),
    Erratum("M11", "§5", "GANs和VAEs都是生成对抗网络的两种不同实现", "misleading",
            "VAEs are not generative adversarial networks: there is no adversary. Both are deep generative "
            "(latent-variable) models.",
            "GANs and VAEs are two families of deep generative models.",
            "GANs and VAEs are two different implementations of generative adversarial networks"),
    Erratum("M12", "§5", "GANs的优点是它可以生成更加真实和高质量的图像，但是它的训练过程较为复杂，容易出现模型不稳定的问题",
            "misleading",
            "Neither half is measured. Sample quality must be measured (FID, precision/recall) on the same data "
            "and budget (notebook 06 does, for the course's own models); the instability is asserted without a "
            "run (notebook 01 §6 shows one real form of it: gradient play on the two-player game cycles instead "
            "of converging).",
            "Compare with metrics; report the numbers and their spread over seeds; show the instability.",
            "The advantage of GANs is that they generate more realistic, higher-quality images, but their training "
            "is more complex and prone to instability"),
    Erratum("M13", "§5", "VAEs的优点是它的训练过程较为简单，容易实现，但是它生成的图像质量相对较低", "misleading",
            "Neither the ease of training nor the lower image quality is measured; and the sentence leaves out "
            "what actually distinguishes VAEs: an encoder (inference) and a likelihood bound that can be evaluated "
            "on held-out data, which GANs do not have.",
            "Name the trade-off: VAEs give likelihoods and encoders, GANs give no likelihood; measure the rest.",
            "The advantage of VAEs is that their training is simpler and easy to implement, but the images they "
            "generate are of relatively lower quality"),
    Erratum("M14", "§4.1.2 and §4.2.2", "这个Python代码实例使用TensorFlow和Keras库实现了一个基本的GANs模型", "misleading",
            "Claims the listings implement working models; neither runs (see the G and V entries), and the "
            "VAE listing never uses its encoder.",
            "Test code before publishing it; the course's corrected listings run in CI.",
            "This Python example uses TensorFlow and Keras to implement a basic GAN model"),
    Erratum("M15", "§6", "未来，生成对抗网络这一技术将会", "omission",
            "The outlook covers only GANs, although the article compares two families; it also omits the "
            "models that have since overtaken both for images (diffusion models).",
            "Discuss both families and their successors.",
            "In the future, generative adversarial network technology will"),
    Erratum("M16", "§3.2.3 definitions and formula", "$E$是编码器，$D$是解码器", "maths",
            "E names both the expectation operator (E_{x~p_data(x)}) and the encoder in the same formula, and "
            "D is the decoder here but the discriminator in §3.1.3. The second term E_{z~p_z(z)}[||E(z)-z||^2] "
            "therefore has two readings, an expectation inside an expectation or the encoder applied to a "
            "latent; neither is a VAE term (M6).",
            "Write expectations as \\mathbb{E}, name the networks by their distributions (encoder q_phi(z|x), "
            "decoder p_theta(x|z), or Enc/Dec) and keep D for the GAN's discriminator.",
            "E is the encoder, D is the decoder"),
    Erratum("M17", "§3.2.2 step 5", "5. 重复步骤2-4，直到编码器和解码器的参数收敛", "misleading",
            "Unlike a GAN (M2), a VAE does minimise one objective, the negative ELBO, but by stochastic "
            "gradients: minibatch noise and the sampling of z keep the parameters moving at a fixed learning "
            "rate, so 'until the parameters converge' is neither what happens nor what anyone checks. The loop "
            "over steps 2-4 also lacks the sampling and the KL term (M1, M10).",
            "Train for a budget of epochs, monitor the negative ELBO on held-out data and keep the best "
            "checkpoint (early stopping).",
            "5. Repeat steps 2-4 until the parameters of the encoder and the decoder converge"),
    Erratum("M18", "§5 title", "代码实例的讨论", "misleading",
            "Titled a discussion of the code examples, the section refers to no line of the listings and to no "
            "result of running them (no samples, losses or metrics; the listings do not run, M14); it repeats "
            "the generic comparison of §2.",
            "Discuss what the corrected listings produce: samples, loss curves and the held-out negative ELBO for "
            "the VAE (as notebook 05 does for the course's VAE), FID for both (as notebook 06 does for the "
            "course's own models); or retitle the section 'Comparison'.",
            "Discussion of the code examples"),
    Erratum("M19", "§5", "如果需要生成更加真实和高质量的图像，可以选择使用GANs", "misleading",
            "Chooses by realism alone and leaves out diversity, the other half of the trade-off. Maximum "
            "likelihood (the VAE's ELBO) is mass-covering: missing part of the data costs it heavily, so VAEs "
            "cover all modes but put mass between them (blur). The GAN objective has no such penalty in "
            "practice: GANs tend to drop modes (mode collapse) while each sample looks sharp, i.e. high "
            "precision, low recall (notebook 01 §5). Choosing GANs 'for quality' can silently lose whole classes.",
            "Compare fidelity and coverage separately (precision and recall, or FID plus the class histogram of "
            "samples); name mode dropping as GANs' typical failure and blur as VAEs'.",
            "If more realistic, higher-quality images are needed, GANs can be chosen"),
    Erratum("M20", "§3.1.3", "则GANs的目标可以表示为", "omission",
            "Gives the minimax value function, correctly, but not what it optimises: for a fixed G the best discriminator "
            "is D*(x) = p_data(x) / (p_data(x) + p_g(x)), and with it V(D*, G) = 2 JSD(p_data || p_g) - log 4, "
            "whose only minimum is p_g = p_data. Without this the reader cannot see why the game should "
            "reproduce the data distribution, nor why a near-optimal D starves the saturating loss of gradient "
            "when the two distributions barely overlap (M4).",
            "State D* and the JSD form (Goodfellow et al. 2014, Proposition 1 and Theorem 1; notebook 01 §2-3).",
            "then the GAN objective can be written as"),
    Erratum("M21", "§3.1.2 step 2 (and §2.1, §3.1.1)", "判别器输出一个概率值，表示这组数据是否来自真实数据集", "misleading",
            "The discriminator outputs one probability per sample, D(x) for each image, not one for a whole "
            "batch ('this set of data'); §2.1 and §3.1.1 say the same ('判断这组数据是否来自真实数据集'). The loss "
            "averages the per-sample log-probabilities over the batch.",
            "Say: the discriminator outputs, for each sample, the probability that it comes from the data.",
            "The discriminator outputs a probability value saying whether this set of data comes from the real "
            "data set"),
    Erratum("M22", "§3 title and §3.1.1, §3.2.1", "核心算法原理和具体操作步骤以及数学模型公式详细讲解", "misleading",
            "The title promises the algorithms and a detailed explanation of the formulas, but §3.1.1 and §3.2.1 "
            "repeat §2.1 and §2.2: all 130 characters of §3.2.1 and 129 of the 165 of §3.1.1 appear, in order, in "
            "§2.2 and §2.1 (difflib's matching blocks). Each formula gets one sentence of explanation (M5, M23).",
            "Replace the repetition by the derivations: the optimal discriminator and the JSD (M20), the ELBO and "
            "its two terms (M7, M23).",
            "Core algorithm principles, concrete steps and a detailed explanation of the mathematical model "
            "formulas"),
    Erratum("M23", "§3.2.3 explanation", r"表示重构样本与输入数据之间的差异，$\beta$是一个超参数", "omission",
            "Explains only the first term. The second, beta E_{z~p_z(z)}[||E(z)-z||^2], is never explained, and "
            "p_z(z) is only 'the probability distribution of the random variable': the prior is never named "
            "(both listings draw N(0, I) noise). In a VAE the second term is KL(q(z|x) || p(z)) for each x, "
            "averaged over the data, not an expectation over p_z (M6).",
            "Name the prior, p(z) = N(0, I), and explain both terms: E_{q(z|x)}[-log p(x|z)], the expected "
            "reconstruction cost, and beta KL(q(z|x) || p(z)); both averaged over x ~ p_data (beta = 1: M8).",
            "represents the difference between the reconstruction and the input; beta is a hyperparameter"),
    # --- GAN listing (4.1.1) ---------------------------------------------------------
    Erratum("G1", "4.1.1 imports / build_generator", "x = Conv2DTranspose(256, (4, 4), strides=(2, 2), padding='same')(x)",
            "crash",
            "Conv2DTranspose, BatchNormalization, Activation, Conv2D, LeakyReLU and Dropout are used but never "
            "imported: NameError on the first call.",
            "Import them: from tensorflow.keras.layers import Activation, BatchNormalization, Conv2D, ...",
            fixed_gan="from tensorflow.keras.layers import ("),
    Erratum("G2", "4.1.1 and 4.2.1 imports", "from tensorflow.keras.layers import Input, Dense, Flatten, Reshape, Concatenate",
            "style", "Concatenate is imported and never used, in both listings; so is tf (neither listing "
                     "contains a single tf.).",
            "Import what is used.",
            fixed_gan="from tensorflow.keras.layers import (", fixed_vae="from tensorflow.keras.layers import ("),
    Erratum("G3", "4.1.1 build_generator", "x = Dense(4*4*256, activation='relu', use_bias=False)(input_layer)", "crash",
            "4x4 followed by four stride-2 transposed convolutions gives 64x64 images, not 28x28: the "
            "discriminator (28x28 input) rejects them.",
            "Start from 7x7 and upsample twice: 7 -> 14 -> 28 (one layer in the loop, then the output layer).",
            fixed_gan=("n_layers = 1", "x = Dense(7*7*256", "Reshape((7, 7, 256))")),
    Erratum("G4", "4.1.1 build_generator / build_discriminator", "x = Conv2DTranspose(3, (4, 4), strides=(2, 2), padding='same')(x)",
            "crash",
            "Three output channels (RGB) and a discriminator input of (28, 28, 3), but MNIST is grey: "
            "(28, 28, 1). Real batches do not fit the discriminator.",
            "One channel in the generator output and the discriminator input.",
            fixed_gan=("Conv2DTranspose(1, (4, 4)", "Input(shape=(28, 28, 1,))")),
    Erratum("G5", "4.1.1 build_generator", "    x = BatchNormalization(momentum=0.8)(x)\n    output_layer = Activation('tanh')(x)",
            "style",
            "Batch normalisation right before the output tanh forces every batch of images to the same mean and "
            "spread; DCGAN (Radford et al. 2016) leaves it out of the generator's output layer.",
            "No BatchNormalization on the output layer: the corrected listing deletes the line."),
    Erratum("G6", "4.1.1 and 4.2.1 train / main", "optimizer = Adam(lr=0.0002, beta_1=0.5)", "crash",
            "Adam is never imported (NameError); and Keras 3 removed the `lr` alias: "
            "Adam(lr=...) raises 'Argument(s) not recognized'. In the GAN listing the optimizer that train() "
            "creates is never used either.",
            "from tensorflow.keras.optimizers import Adam; Adam(learning_rate=2e-4, beta_1=0.5).",
            fixed_gan=("from tensorflow.keras.optimizers import Adam", "Adam(learning_rate=0.0002, beta_1=0.5)"),
            fixed_vae=("from tensorflow.keras.optimizers import Adam", "Adam(learning_rate=0.001)")),
    Erratum("G7", "4.1.1 and 4.2.1 train / main", "noise = np.random.normal(0, 1, (batch_size, z_dim))", "crash",
            "z_dim is a local variable of build_generator (build_encoder, build_decoder in the VAE listing); in "
            "train and in the main block of both listings it is undefined: NameError.",
            "Define z_dim once at module level.",
            fixed_gan="z_dim = 100", fixed_vae="z_dim = 100"),
    Erratum("G8", "4.1.1 train", "real_images = real_images[np.random.randint(0, real_images.shape[0], batch_size)]",
            "silent",
            "Overwrites the data set with the batch just drawn, so every later step resamples 128 images, with "
            "replacement, from the previous batch: the pool of distinct images shrinks (neutral Wright-Fisher "
            "drift). Over 2000 seeds it holds a median of 81 after step 2 and 3 after step 100, and a single "
            "image fills the whole batch after 255 steps on average, close to drift theory's 2N = 256 for "
            "N = 128 (the distribution is skewed: median 220, 90% of runs between 98 and 541 steps). For the rest "
            "of the 100,000 steps (at least 98,988 in every run) the discriminator sees one real image, repeated.",
            "Keep the data set and draw each batch from it under a new name (real_batch = x_train[idx]), or "
            "shuffle and batch with tf.data (the corrected listing).",
            fixed_gan=("tf.data.Dataset.from_tensor_slices(real_images).shuffle", "for real_batch in dataset:")),
    Erratum("G9", "4.1.1 train", "def train(generator, discriminator, real_images, batch_size=128, epochs=100000, "
            "save_interval=500):", "misleading",
            "Each 'epoch' is a single batch: 100000 steps, about 213 epochs of MNIST at batch 128.",
            "Call it steps, or loop over real epochs.",
            fixed_gan=("def train(generator, discriminator, real_images, batch_size=128, epochs=5",
                       "for real_batch in dataset:")),
    Erratum("G10", "4.1.1 train", "loss_gan = discriminator.train_on_batch(noise, np.ones((batch_size, 1)))", "crash",
            "Feeds latent noise (batch, 100) to the discriminator, which expects images: a shape error. Even "
            "with images it would train the discriminator to call fakes real, i.e. the wrong network (in Keras 3 "
            "the trainable = False before it does not stop that, G22); no model connects the generator to the "
            "discriminator, so no gradient reaches the generator.",
            "Train G through D: compute D(G(z)) under a GradientTape and apply the gradient of -log D(G(z)) to "
            "G's variables only. (The Keras 2 recipe, a combined model D(G(z)) compiled after setting "
            "D.trainable = False, is a trap in Keras 3: see G22.)",
            fixed_gan=("discriminator(generator(noise, training=True), training=True)",
                       "g_loss = bce(tf.ones_like(fake_output), fake_output)")),
    Erratum("G11", "4.1.1 train", "generator.optimizer.zero_grad()", "crash",
            "PyTorch API in Keras code: Keras optimizers have no zero_grad/step, and d_loss is a Python float "
            "with no backward(): AttributeError. The intent (back-propagate the discriminator's loss into the "
            "generator) would also be the wrong objective.",
            "Use tf.GradientTape and optimizer.apply_gradients, with the generator's own loss.",
            fixed_gan=("def train_step(", "tf.GradientTape() as real_tape", "tf.GradientTape() as fake_tape",
                       "tf.GradientTape() as g_tape", "d_loss, g_loss = step(")),
    Erratum("G12", "4.1.1 train and main", "generator.trainable = True", "misleading",
            "Looks like switching the generator on for its update (and the main block's generator.trainable = "
            "False like switching it off), but nothing in train() hands the generator to an optimizer (G10, G11): "
            "the flag has nothing to act on, and the generator's weights stay as initialised, set or not (as "
            "V14 for the VAE's encoder).",
            "Delete the toggles; choose what trains by applying each loss's gradients to that network's "
            "trainable_variables (the corrected listing).",
            fixed_gan="g_optimizer.apply_gradients("),
    Erratum("G13", "4.1.1 main", "generator.compile(optimizer=Adam(lr=0.0002, beta_1=0.5), loss='binary_crossentropy')",
            "style",
            "The generator has no targets; compiling it with a loss is meaningless, and toggling .trainable on "
            "compiled models does not build the usual combined GAN.",
            "Compile nothing; give each network its own optimizer and apply each loss's gradients in one train "
            "step (course_utils.gan.GAN does the same inside a Keras model).",
            fixed_gan=("g_optimizer = Adam(", "d_optimizer = Adam(")),
    Erratum("G14", "4.1.1 train", 'generator.save_weights("generator_epoch_{}.h5".format(epoch))', "crash",
            "Keras 3 requires weight files to end in '.weights.h5': ValueError.",
            'generator.save_weights("generator_epoch_{}.weights.h5".format(epoch)).',
            fixed_gan=".weights.h5"),
    Erratum("G15", "4.1.1 train", 'print("Epoch [{}/{}], Loss: {:.4f}".format(epoch + 1, epochs, d_loss))', "style",
            "Prints one line per step (100000 lines) and only the discriminator's loss; the would-be generator "
            "loss (loss_gan, in fact a discriminator loss on noise, G10) is discarded.",
            "Log both losses once per epoch, as means over the epoch's steps (the last batch alone is noisy).",
            fixed_gan=("keras.metrics.Mean()", "d_mean.update_state", "g_mean.update_state",
                       "g_loss: {float(g_mean.result())", "{losses}")),
    Erratum("G16", "4.1.1 main", "generator, discriminator = train(generator, discriminator, x_train)", "crash",
            "train returns only the generator; unpacking a Model into two names raises TypeError.",
            "Return both, or assign one name.",
            fixed_gan="return generator, discriminator"),
    Erratum("G17", "4.1.1 and 4.2.1 main", "img = np.hstack([generated_images, x_train[0].reshape(28, 28)])", "crash",
            "Stacks a 4-D batch with one 2-D image: np.hstack raises (different numbers of dimensions).",
            "Unpack the batch into 28x28 images first: np.hstack([*generated_images[..., 0], real_image]).",
            fixed_gan="np.hstack([*generated_images[..., 0]", fixed_vae="np.hstack([*generated_images[..., 0]"),
    Erratum("G18", "4.1.1 and 4.2.1 main", "img = (img * 0.5 + 1) * 255", "silent",
            "The inverse of x/127.5 - 1 is (x + 1) * 127.5. This maps [-1, 1] to [127.5, 382.5]: black becomes "
            "mid-grey, and after astype(np.uint8) everything brighter than mid-grey (tanh values above 0, above "
            "255 here) wraps around on x86: just above mid-grey becomes black (256.3 -> 0), white becomes "
            "mid-grey (382.5 -> 126). Converting an out-of-range float to uint8 is undefined in general.",
            "img = (img + 1) * 127.5 (course_utils.data.from_tanh also rounds and clips); in the VAE listing, "
            "whose data are [0, 1], img * 255.",
            fixed_gan="img = (img + 1) * 127.5", fixed_vae="img = img * 255"),
    Erratum("G19", "4.1.1 and 4.2.1 main", "cv2.imwrite(save_path, img)", "crash",
            "cv2 (OpenCV) is neither imported nor a dependency, and save_path is never defined: NameError.",
            "Save with matplotlib (plt.imsave) to an explicit path.",
            fixed_gan=("import matplotlib.pyplot as plt", "save_path = ", "plt.imsave(save_path"),
            fixed_vae=("import matplotlib.pyplot as plt", "save_path = ", "plt.imsave(save_path")),
    Erratum("G20", "4.1.1 and 4.2.1 main", "(x_train, _), (_, _) = keras.datasets.mnist.load_data()", "crash",
            "`keras` is never imported (only tensorflow as tf): NameError.",
            "import keras (Keras 3) or use tf.keras.",
            fixed_gan="import keras", fixed_vae="import keras"),
    Erratum("G21", "4.1.1 train", "generated_images = generator.predict(noise)", "silent",
            "predict() runs the generator in inference mode: its BatchNormalization layers use their moving "
            "statistics, not the batch's, and as nothing ever calls the generator with training=True those stay "
            "at mean 0, variance 1, so every batch norm is an identity (momentum=0.8 never comes into play). It "
            "also returns NumPy, which detaches the fakes from any gradient, and builds a dataset and a progress "
            "bar for every batch.",
            "Call generator(noise, training=True) inside a tf.function train step.",
            fixed_gan="generated_images = generator(noise, training=True)"),
    Erratum("G22", "4.1.1 train", "discriminator.trainable = False", "silent",
            "Meant to freeze D for the generator step, but in Keras 3 train_on_batch reads the trainable weights "
            "when it first traces its train function (here with trainable=True) and keeps them until compile() "
            "is called again: setting .trainable afterwards changes nothing, and the next train_on_batch still "
            "updates D (G10: it would teach D to call its input real). The reverse holds too: a D first trained "
            "with trainable=False never trains, which breaks the Keras 2 recipe 'compile D, freeze it, compile "
            "D(G(z))'. (The generator's toggles are G12.)",
            "Do not choose what trains with .trainable toggles; apply each loss's gradients to the intended "
            "network's trainable_variables in one train step (the corrected listing).",
            fixed_gan=("d_optimizer.apply_gradients(", "g_optimizer.apply_gradients(")),
    Erratum("G23", "4.1.1 build_generator", "activation='relu', use_bias=False", "style",
            "use_bias=False is the DCGAN convention for a layer followed by BatchNormalization (which subtracts "
            "the mean, cancelling a bias), but no BatchNormalization follows this Dense: the projection is "
            "ReLU(W z), with neither offset nor normalisation. The Conv2DTranspose layers, which are followed by "
            "BatchNormalization, keep their redundant biases: the flags are the wrong way round.",
            "Dense(7*7*256, use_bias=False), then BatchNormalization and ReLU, as DCGAN; use_bias=False on the "
            "Conv2DTranspose layers that BatchNormalization follows.",
            fixed_gan=("Dense(7*7*256, use_bias=False)", "BatchNormalization(momentum=0.8)(x)",
                       "Activation('relu')(x)", "padding='same', use_bias=False)(x)")),
    Erratum("G24", "4.1.1 build_generator", "for _ in range(n_layers):", "style",
            "Three stride-2 transposed convolutions, all 256 channels wide: DCGAN halves the channels each time "
            "the resolution doubles; here the width stays and the cost quadruples per layer (16.8M, 67M, 268M "
            "multiply-adds per image; the 16->32 layer does 73% of the generator's). Three layers after a 4x4 start "
            "are also why the output is 64x64 (G3): from 7x7, 28x28 needs one upsampling here plus the output "
            "layer.",
            "One layer (n_layers = 1) after a 7x7 start, halving the channels: 7x7x256 -> 14x14x128 -> 28x28x1.",
            fixed_gan=("n_layers = 1", "Conv2DTranspose(128,")),
    # --- VAE listing (4.2.1) ---------------------------------------------------------
    Erratum("V1", "4.2.1 build_encoder", "z = Lambda(lambda x: x[0] * K.exp(x[1] / 2))([z_mean, z_log_var])", "crash",
            "Lambda and K are never imported (NameError); and Keras 3's keras.backend has no exp (nor sum or "
            "square), so even K = keras.backend raises AttributeError.",
            "Import Lambda; use keras.ops and keras.random inside it.",
            fixed_vae=("from keras import ops", "from tensorflow.keras.layers import (", "Lambda(lambda x: x[0] + ops.exp")),
    Erratum("V2", "4.2.1 build_encoder", "x[0] * K.exp(x[1] / 2)", "silent",
            "Multiplies the mean by the standard deviation: no noise at all, so z is a deterministic function "
            "of x. That is neither a sample from q(z|x) nor the reparameterization trick.",
            "z = z_mean + exp(z_log_var / 2) * eps with eps ~ N(0, I).",
            fixed_vae="x[0] + ops.exp(x[1] / 2) * keras.random.normal"),
    Erratum("V3", "4.2.1 build_encoder", "return Model(input_layer, z)", "crash",
            "The encoder returns only z; z_mean and z_log_var, needed for the KL term, are unreachable "
            "(the KL line in train raises NameError).",
            "Return [z_mean, z_log_var, z].",
            fixed_vae="return Model(input_layer, [z_mean, z_log_var, z])"),
    Erratum("V4", "4.2.1 build_decoder", "x = Reshape((7, 7, 1))(x)", "crash",
            "Reshapes 512 values into 7*7*1 = 49: ValueError when the model is built.",
            "Dense(7*7*64) then Reshape((7, 7, 64)).",
            fixed_vae=("Dense(7*7*64", "Reshape((7, 7, 64))")),
    Erratum("V5", "4.2.1 build_decoder", "x = Conv2DTranspose(1, (5, 5), strides=(2, 2), padding='same')(x)", "crash",
            "One stride-2 transposed convolution takes 7x7 to 14x14, not 28x28; Conv2DTranspose and "
            "Activation are also not imported.",
            "Two stride-2 upsamplings (7 -> 14 -> 28): a Conv2DTranspose(32, ...) before this one.",
            fixed_vae=("from tensorflow.keras.layers import (", "Conv2DTranspose(32,", "Conv2DTranspose(1, (5, 5)")),
    Erratum("V6", "4.2.1 build_decoder", "x = Activation('tanh')(x)", "style",
            "A tanh output with a squared error is a legitimate model: a Gaussian likelihood on [-1, 1] data. "
            "What is wrong with it is the unstated variance (V11, M9), not the choice. The course uses the "
            "Bernoulli likelihood on binarized MNIST (sigmoid logits, cross-entropy summed over pixels) because "
            "it is a discrete likelihood, so its negative ELBO in nats is a bound on -log p(x) that can be "
            "compared with the literature's numbers for binarized MNIST.",
            "Output logits (no tanh); use the Bernoulli log-likelihood on [0, 1] data, binarized afresh each epoch.",
            fixed_vae=("Conv2DTranspose(1, (5, 5)", "sigmoid_cross_entropy_with_logits", "binarize(x_train",
                       "x_train = x_train / 255.", "ops.sigmoid(decoder.predict(noise))")),
    Erratum("V7", "4.2.1 train", "generated_images = decoder.predict(noise)", "silent",
            "The training loop never calls the encoder: it decodes prior noise and compares the result with "
            "unrelated random real images. Minimising that MSE teaches the decoder to output the average digit "
            "whatever z is (the notebook shows it).",
            "Encode the batch, sample z with the reparameterization, decode, and compare with the same batch.",
            fixed_vae=("encoder(x_batch, training=True)", "decoder(z, training=True)")),
    Erratum("V8", "4.2.1 train", "x_train = x_train[np.random.randint(0, x_train.shape[0], batch_size)]", "silent",
            "Overwrites the data set with one batch (as G8): each step resamples from the previous batch, so by "
            "the VAE's last (100th) step only about 3 distinct images are left (median 3, range 1-6 over 2000 "
            "seeds).",
            "Keep the data set; draw shuffled batches from it (tf.data, as the corrected listing, or model.fit).",
            fixed_vae=("tf.data.Dataset.from_tensor_slices(x_binary).shuffle", "for x_batch in dataset:")),
    Erratum("V9", "4.2.1 train", "reconstruction_loss = mean_squared_error(x_train, generated_images)", "crash",
            "mean_squared_error is not imported (NameError). Keras's mean_squared_error averages only the last "
            "axis, here the single channel, so it returns the per-pixel squared error, shape (batch, 28, 28), "
            "not one number per image. Adding the (batch,) KL to it fails: broadcasting aligns trailing axes, "
            "28 against 128, and TensorFlow raises 'Incompatible shapes: [128,28,28] vs. [128]' (it would "
            "broadcast silently, and wrongly, only for a batch of 1 or 28). With the article's decoder, whose "
            "output is 14x14 (V5), the MSE call itself fails first.",
            "Reduce the per-pixel term over all pixel axes (axis=[1, 2, 3]) to one number per example before "
            "adding the KL; with a Bernoulli decoder, sum the per-pixel negative log-likelihood.",
            fixed_vae="tf.reduce_sum(per_pixel, axis=[1, 2, 3])"),
    Erratum("V10", "4.2.1 train",
            "kl_divergence = -0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)", "crash",
            "z_mean and z_log_var are undefined in train (NameError), and Keras 3's keras.backend has no sum, "
            "square or exp, so even K = keras.backend raises AttributeError; the formula itself is right.",
            "Compute it with tf (or keras.ops) from the encoder's outputs inside the train step "
            "(course_utils.losses.gaussian_kl).",
            fixed_vae="kl_divergence = -0.5 * tf.reduce_sum("),
    Erratum("V11", "4.2.1 train", "loss = reconstruction_loss + 0.001 * kl_divergence", "maths",
            "As written the sum does not broadcast (V9). Once the shapes agree (KL broadcast over the pixels, or "
            "the squared error averaged over each image's 784 pixels), loss.mean() is the batch mean of "
            "SE/784 + 0.001 KL, SE the image's summed squared error. Times 1000 that is SE/0.784 + KL, the "
            "negative ELBO of a Gaussian decoder with 1/(2 sigma^2) = 1/0.784: sigma^2 = 0.392 (sigma = 0.63) on "
            "data in [-1, 1], a very broad likelihood that weighs the KL heavily against reconstruction and makes "
            "the model blur (notebook 02 §7). Summed over pixels instead, the same 0.001 would mean "
            "sigma^2 = 0.0005, almost a plain autoencoder: the weight only fixes a decoder variance nobody chose.",
            "State the likelihood: sum the Bernoulli (or a Gaussian with a stated sigma) log-likelihood over "
            "pixels and weight the KL by β = 1, the ELBO; change β only deliberately (M8).",
            fixed_vae="loss = reconstruction_loss + kl_divergence"),
    Erratum("V12", "4.2.1 train", "loss_value.backward()", "crash",
            "PyTorch API again (loss.mean(), zero_grad, backward, step, item): TensorFlow tensors have none of "
            "them. With no GradientTape no gradient is ever computed, so even a patched loop trains nothing; and "
            "decoder.predict returns NumPy, so even a tape could not differentiate this loss.",
            "A train step: GradientTape around the forward pass, then optimizer.apply_gradients.",
            fixed_vae=("def train_step(", "with tf.GradientTape() as tape", "tf.reduce_mean(loss)",
                       "optimizer.apply_gradients(", "loss_value = step(", "Loss (-ELBO, nats)")),
    Erratum("V13", "4.2.1 train", 'encoder.save_weights("encoder_epoch_{}.h5".format(epoch))', "crash",
            "Keras 3 requires '.weights.h5' (as G14).",
            'encoder.save_weights("encoder_epoch_{}.weights.h5".format(epoch)).',
            fixed_vae=("encoder_epoch_{epoch}.weights.h5", "decoder_epoch_{epoch}.weights.h5")),
    Erratum("V14", "4.2.1 main and train", "encoder.trainable = False", "misleading",
            "Looks like freezing the encoder for training, but train() sets encoder.trainable = True and "
            "decoder.trainable = True before its first update, so the main block's freeze is undone at once. "
            "And no flag matters: the loop computes no gradient (V12) and never calls the encoder (V7), so no "
            "weight of either network changes, frozen or not. The compile(loss='mse') calls are likewise unused "
            "by the hand-written loop (and crash on Adam(lr=...), G6).",
            "Delete the trainable toggles and compile calls; train both networks in one train step with one "
            "optimizer over encoder.trainable_variables + decoder.trainable_variables (the corrected listing).",
            fixed_vae="variables = encoder.trainable_variables + decoder.trainable_variables"),
    Erratum("V15", "4.2.1 train", "def train(encoder, decoder, x_train, batch_size=128, epochs=100, save_interval=50):",
            "misleading",
            "100 'epochs' of one batch each are 100 steps, about a fifth of one pass over MNIST (as G9).",
            "Train for real epochs, and report each epoch's mean loss (the last batch alone is noisy).",
            fixed_vae=("def train(encoder, decoder, x_train, batch_size=128, epochs=5", "keras.metrics.Mean()",
                       "epoch_loss.update_state", "Loss (-ELBO, nats)")),
    Erratum("V16", "4.2.1 train", "optimizer = Adam(lr=0.0002, beta_1=0.5)", "style",
            "Besides the Keras 3 `lr` crash (G6), beta_1 = 0.5 is a GAN heuristic; VAEs train well with Adam's "
            "defaults and a larger learning rate (1e-3).",
            "Adam(learning_rate=0.001).",
            fixed_vae="Adam(learning_rate=0.001)"),
]

# How the course names its source: the copy it corrects gives no title, author or URL.
SOURCE = ("a Chinese-language article that compares GANs and VAEs; the copy the course corrects gives no "
          "title, author or URL: its first line is blank, its first heading is 「1.背景介绍」 (\"1. Background\") "
          "and its last 「6.未来发展方向」 (\"6. Future directions\"), and the section numbers used here (§3.1.3, "
          "§4.1.1, ...) are its own")


@dataclass(frozen=True)
class Formula:
    """One of the article's two objectives, quoted whole, beside the corrected one (LaTeX, for Markdown)."""
    where: str          # the article's section
    what: str           # its name, as a heading
    quote: str          # the article's formula line, verbatim
    corrected: str      # the course's version
    entries: tuple[str, ...]  # the catalogue entries that correct it
    note: str           # what changed, in Markdown


FORMULAS = [
    Formula("§3.1.3", "The GAN objective",
            r"\min_{G}\max_{D}V(D,G)=E_{x\sim p_{data}(x)}[\log D(x)]+E_{z\sim p_{z}(z)}[\log (1-D(G(z)))]",
            r"\max_{D}V(D,G)=\mathbb{E}_{x\sim p_{data}}[\log D(x)]+\mathbb{E}_{z\sim p_{z}}[\log (1-D(G(z)))],"
            r"\qquad \min_{G}\ -\mathbb{E}_{z\sim p_{z}}[\log D(G(z))]",
            ("M20", "M4"),
            r"The value function is right; the article leaves out what it optimises: for a fixed $G$ the best "
            r"discriminator is $D^*(x)=p_{data}(x)/(p_{data}(x)+p_g(x))$, and $V(D^*,G)=2\,\mathrm{JSD}(p_{data}"
            r"\,\|\,p_g)-\log 4$, smallest at $p_g=p_{data}$ (M20). Its second term, as the generator's loss, "
            r"has the gradient $-D(G(z))$ with respect to the discriminator's logit, which vanishes when $D$ "
            r"rejects the fakes; the generator minimises the non-saturating loss instead, whose gradient is "
            r"$-(1-D(G(z)))$ (M4; the corrected GAN listing's `g_loss`)."),
    Formula("§3.2.3", "The VAE objective",
            r"\min_{E,D}E_{x\sim p_{data}(x)}[||x-D(E(x))||^2]+\beta E_{z\sim p_{z}(z)}[||E(z)-z||^2]",
            r"\max_{\theta,\phi}\ \mathbb{E}_{x\sim p_{data}}\Big[\mathbb{E}_{q_\phi(z\mid x)}[\log p_\theta(x\mid z)]"
            r"-\beta\,\mathrm{KL}\big(q_\phi(z\mid x)\,\|\,p(z)\big)\Big],\quad \beta=1,\quad p(z)=\mathcal{N}(0,I)",
            ("M7", "M6", "M8", "M9", "M16", "M23"),
            r"The article's first term is an autoencoder's (M7) and hides its likelihood (M9); the second applies "
            r"the encoder to a latent, which is no VAE term (M6), and $E$ names both an expectation and the "
            r"encoder (M16). The ELBO replaces them with the log-likelihood of a decoder $p_\theta(x\mid z)$ "
            r"(Bernoulli, on binarized MNIST) and the KL from the encoder's $q_\phi(z\mid x)=\mathcal{N}(\mu,"
            r"\mathrm{diag}\,\sigma^2)$ to the prior $p(z)$, which the article never names (M23), in closed form "
            r"$\frac12\sum_j(\mu_j^2+\sigma_j^2-1-\log\sigma_j^2)$, with $z=\mu+\sigma\odot\varepsilon$ sampled "
            r"by reparameterization; $\beta=1$ is the ELBO itself (M8). The corrected VAE listing's `loss` "
            r"computes its negative."),
]

FATAL_RULE = (
    "A defect is fatal when the smallest patch that makes its own line run (for a formula: implementing it as "
    "written) still leaves a model that cannot learn what the article says it learns: no gradient reaches a "
    "network that must learn, the network trains on data that are not the data set, or what trains is not "
    "the model the article names. A crash whose smallest patch is its whole fix (a missing import, a renamed "
    "argument, a shape made to fit) is not fatal, however early it stops the run.")

# The defects FATAL_RULE calls fatal, and why each is.
FATAL = {
    "G10": "Its smallest patch, giving D the generator's images instead of noise, makes the line run but still "
           "trains D, not G, to call fakes real: no loss involves the generator's weights, so no gradient "
           "reaches it.",
    "G11": "Its smallest patch, deleting the PyTorch calls (Keras has none of them), leaves no code that "
           "updates the generator: no gradient reaches it, whatever else is fixed.",
    "G8": "The code runs, but after 255 steps on average (2000 seeds) the discriminator trains on one real "
          "image, not the data set: even a working GAN would learn to imitate one digit.",
    "V12": "Its smallest patch, deleting the PyTorch calls, leaves a loop that computes no gradient: nothing "
           "trains.",
    "V7": "The code runs, but the loop never calls the encoder and pulls decoded noise towards unrelated "
          "images: what trains is no VAE, and the decoder can only learn the average digit.",
    "V2": "The code runs, but z = mean * sigma has no noise: z is a deterministic function of x, so what "
          "trains is an autoencoder, not a VAE, and there is nothing to sample from.",
    "V8": "The code runs, but it trains on a shrinking handful of images, not the data set: about 3 are left "
          "after the listing's 100 steps, and with real epochs one image would fill every batch, as in G8.",
    "M7": "Implemented as written, the objective trains an autoencoder, not a VAE: no distribution over z and "
          "no KL term, so decoding prior samples means nothing.",
}

# Every crash, in the order in which it stops the run (GAN listing, then what only the VAE listing adds),
# patching each one as it is met: both main blocks stop first at keras.datasets (G20), before
# build_generator reaches its first missing layer (G1); then the compile calls (G6), train()'s noise
# (G7), the discriminator's first real batch (G4) and first fake batch (G3), ...
STOP_ORDER = ("G20", "G1", "G6", "G7", "G4", "G3", "G10", "G11", "G14", "G16", "G17", "G19",
              "V1", "V4", "V5", "V9", "V10", "V3", "V12", "V13")


def by_id(erratum_id: str) -> Erratum:
    """The entry with this id."""
    return next(e for e in ERRATA if e.id == erratum_id)


def grouped() -> dict[str, list[Erratum]]:
    """The entries that are not in ``FATAL``, grouped by category (in the order of ``CATEGORIES``); the
    crashes in the order in which they stop the run (``STOP_ORDER``), the rest in catalogue order."""
    groups = {c: [e for e in ERRATA if e.category == c and e.id not in FATAL] for c in CATEGORIES}
    groups["crash"].sort(key=lambda e: STOP_ORDER.index(e.id))
    return groups
