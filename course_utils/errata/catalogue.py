"""The errata of the source article, as data: one entry per defect.

The article (``shared/seed/article-gans-vs-vaes.zh.md``) compares GANs and VAEs; its
maths, prose and both code listings are wrong in many places.  Each entry quotes the
short fragment it corrects (verbatim, so a test can find it in the article), says
what goes wrong and why, and gives the fix.  Notebook 03 renders this table; tests
walk it.

Categories: ``crash`` (the code raises), ``silent`` (runs, wrong result), ``maths``
(wrong formula), ``misleading`` (wrong or unsupported statement), ``style``.
"""

from __future__ import annotations

from dataclasses import dataclass

CATEGORIES = {
    "crash": "crash",
    "silent": "silent wrong result",
    "maths": "wrong maths",
    "misleading": "misleading text",
    "style": "style",
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
    Erratum("M3", "§3.1.2 steps 2-3", "2. 训练生成器：", "style",
            "The steps train the generator before the discriminator; the standard algorithm (Goodfellow et al. "
            "2014, Algorithm 1) updates D first on real and fake data, then G against the updated D.",
            "Order the steps: update D, then update G; repeat.",
            "2. Train the generator:"),
    Erratum("M4", "§3.1.3 formula", r"E_{z\sim p_{z}(z)}[\log (1-D(G(z)))]", "maths",
            "As the generator's objective this is the saturating loss: its gradient is -D(G(z)), which vanishes "
            "when the discriminator rejects the fakes, i.e. early in training. The article never says that "
            "practice uses the non-saturating loss.",
            "Train G to minimise -E[log D(G(z))] (same fixed point, useful gradients); notebook 01 §4."),
    Erratum("M5", "§3.1.3 explanation", "表示判别器对真实数据的预测能力", "misleading",
            "Vague: the two terms are the log-likelihoods the discriminator assigns to the correct labels "
            "(binary cross-entropy, negated); D maximises their sum, G minimises the second.",
            "Say: V(D,G) is the negated binary cross-entropy of D on real (label 1) and generated (label 0) data.",
            "represents the discriminator's ability to predict real data"),
    Erratum("M6", "§3.2.3 formula", r"||E(z)-z||^2", "maths",
            "The encoder maps images to latents; E(z) applies it to a latent, which is undefined (a shape error "
            "in code). The term has no counterpart in the VAE objective.",
            "Replace the second term with KL(q(z|x) || p(z)); for a diagonal Gaussian q it is "
            "1/2 sum(mu^2 + sigma^2 - 1 - log sigma^2)."),
    Erratum("M7", "§3.2.3 formula", r"\min_{E,D}E_{x\sim p_{data}(x)}[||x-D(E(x))||^2]", "maths",
            "Deterministic encoder and decoder, no distribution over z and no KL term: this is an autoencoder "
            "objective, not a VAE's. Its optimum leaves the scale of the codes arbitrary, so decoding prior "
            "samples produces arbitrary outputs (notebook 02 §3).",
            "Maximise the ELBO: E_{q(z|x)}[log p(x|z)] - KL(q(z|x) || p(z)) with a stochastic encoder."),
    Erratum("M8", "§3.2.3 explanation", "用于平衡编码器和解码器之间的损失", "maths",
            "β weights the KL to the prior against reconstruction: a rate-distortion trade-off. It does not "
            "balance an encoder loss against a decoder loss; only β = 1 gives a bound on log p(x).",
            "β multiplies KL(q(z|x) || p(z)); β > 1 gives simpler codes and blurrier reconstructions.",
            "used to balance the losses between the encoder and the decoder"),
    Erratum("M9", "§3.2.3 formula", r"||x-D(E(x))||^2", "misleading",
            "A squared error is the log-likelihood of a Gaussian with an unstated, fixed variance; that hidden "
            "variance sets the effective KL weight. For binary-ish MNIST pixels a Bernoulli likelihood is natural.",
            "State the likelihood p(x|z): Bernoulli logits on binarized MNIST, reported in nats."),
    Erratum("M10", "§3.2.2 step 2", "对输入数据进行编码，将其压缩为一个低维的随机变量", "misleading",
            "Says the code is a random variable but never says how it is sampled so that gradients flow: "
            "the reparameterization z = mu + sigma * eps is the key step of a VAE and is missing (and wrong in "
            "the listing, V3).",
            "Encode to (mu, log sigma^2), sample eps ~ N(0, I), set z = mu + exp(log sigma^2 / 2) * eps.",
            "Encode the input, compressing it into a low-dimensional random variable"),
    Erratum("M11", "§5", "GANs和VAEs都是生成对抗网络的两种不同实现", "misleading",
            "VAEs are not generative adversarial networks: there is no adversary. Both are deep generative "
            "(latent-variable) models.",
            "GANs and VAEs are two families of deep generative models.",
            "GANs and VAEs are two different implementations of generative adversarial networks"),
    Erratum("M12", "§5", "GANs的优点是它可以生成更加真实和高质量的图像", "misleading",
            "Asserted without measurement. Sample quality must be measured (FID, precision/recall) on the same "
            "data and budget; notebook 06 does.",
            "Compare with metrics; report the numbers and their spread over seeds.",
            "The advantage of GANs is that they generate more realistic, higher-quality images"),
    Erratum("M13", "§5", "VAEs的优点是它的训练过程较为简单，容易实现", "misleading",
            "Leaves out what actually distinguishes VAEs: an encoder (inference) and a likelihood bound that can "
            "be evaluated on held-out data, which GANs do not have; and ease of training is again not measured.",
            "Name the trade-off: VAEs give likelihoods and encoders, GANs give no likelihood; measure the rest.",
            "The advantage of VAEs is that their training is simpler and easy to implement"),
    Erratum("M14", "§4.1.2 and §4.2.2", "这个Python代码实例使用TensorFlow和Keras库实现了一个基本的GANs模型", "misleading",
            "Claims the listings implement working models; neither runs (see the G and V entries), and the "
            "VAE listing never uses its encoder.",
            "Test code before publishing it; the course's corrected listings run in CI.",
            "This Python example uses TensorFlow and Keras to implement a basic GAN model"),
    Erratum("M15", "§6", "未来，生成对抗网络这一技术将会", "misleading",
            "The outlook covers only GANs, although the article compares two families; it also omits the "
            "models that have since overtaken both for images (diffusion models).",
            "Discuss both families and their successors.",
            "In the future, generative adversarial network technology will"),
    # --- GAN listing (4.1.1) ---------------------------------------------------------
    Erratum("G1", "4.1.1 imports / build_generator", "x = Conv2DTranspose(256, (4, 4), strides=(2, 2), padding='same')(x)",
            "crash",
            "Conv2DTranspose, BatchNormalization, Activation, Conv2D, LeakyReLU and Dropout are used but never "
            "imported: NameError on the first call.",
            "from tensorflow.keras import layers, then layers.Conv2DTranspose, ..."),
    Erratum("G2", "4.1.1 imports", "from tensorflow.keras.layers import Input, Dense, Flatten, Reshape, Concatenate",
            "style", "Concatenate is imported and never used.", "Import what is used."),
    Erratum("G3", "4.1.1 build_generator", "x = Dense(4*4*256, activation='relu', use_bias=False)(input_layer)", "crash",
            "4x4 followed by four stride-2 transposed convolutions gives 64x64 images, not 28x28: the "
            "discriminator (28x28 input) rejects them.",
            "Start from 7x7 and upsample twice: 7 -> 14 -> 28."),
    Erratum("G4", "4.1.1 build_generator / build_discriminator", "x = Conv2DTranspose(3, (4, 4), strides=(2, 2), padding='same')(x)",
            "crash",
            "Three output channels (RGB) and a discriminator input of (28, 28, 3), but MNIST is grey: "
            "(28, 28, 1). Real batches do not fit the discriminator.",
            "One channel in the generator output and the discriminator input."),
    Erratum("G5", "4.1.1 build_generator", "x = BatchNormalization(momentum=0.8)(x)\n    output_layer = Activation('tanh')(x)",
            "style",
            "Batch normalisation right before the output tanh forces every batch of images to the same mean and "
            "spread; DCGAN (Radford et al. 2016) leaves it out of the generator's output layer.",
            "No BatchNormalization on the output layer."),
    Erratum("G6", "4.1.1 train / main", "optimizer = Adam(lr=0.0002, beta_1=0.5)", "crash",
            "Adam is never imported (NameError); and Keras 3 removed the `lr` alias: "
            "Adam(lr=...) raises 'Argument(s) not recognized'.",
            "keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)."),
    Erratum("G7", "4.1.1 train", "noise = np.random.normal(0, 1, (batch_size, z_dim))", "crash",
            "z_dim is a local variable of build_generator; in train (and in the main block) it is undefined: "
            "NameError.",
            "Define LATENT_DIM once at module level and pass it around."),
    Erratum("G8", "4.1.1 train", "real_images = real_images[np.random.randint(0, real_images.shape[0], batch_size)]",
            "silent",
            "Overwrites the whole data set with one batch: from the second step on, 'real' batches are drawn "
            "from the same 128 images.",
            "Use a new name (real_batch = x_train[idx]) or, better, a tf.data pipeline with model.fit."),
    Erratum("G9", "4.1.1 train", "def train(generator, discriminator, real_images, batch_size=128, epochs=100000, "
            "save_interval=500):", "misleading",
            "Each 'epoch' is a single batch: 100000 steps, about 213 epochs of MNIST at batch 128.",
            "Call it steps, or loop over real epochs."),
    Erratum("G10", "4.1.1 train", "loss_gan = discriminator.train_on_batch(noise, np.ones((batch_size, 1)))", "crash",
            "Feeds latent noise (batch, 100) to the discriminator, which expects images: a shape error. Even "
            "with images it would train the discriminator to call fakes real, i.e. the wrong network; no "
            "model connects the generator to the discriminator, so no gradient reaches the generator.",
            "Train G through D with D frozen: a GradientTape over G's weights, or a combined model "
            "D(G(z)) compiled with D.trainable = False."),
    Erratum("G11", "4.1.1 train", "generator.optimizer.zero_grad()", "crash",
            "PyTorch API in Keras code: Keras optimizers have no zero_grad/step, and d_loss is a Python float "
            "with no backward(): AttributeError. The intent (back-propagate the discriminator's loss into the "
            "generator) would also be the wrong objective.",
            "Use tf.GradientTape and optimizer.apply_gradients, with the generator's own loss."),
    Erratum("G12", "4.1.1 train", "generator.trainable = True", "silent",
            "Nothing ever updates the generator: its weights after 'training' are its random initial weights "
            "(the notebook shows they do not change).",
            "A train_step that applies the generator loss gradients to generator.trainable_weights."),
    Erratum("G13", "4.1.1 main", "generator.compile(optimizer=Adam(lr=0.0002, beta_1=0.5), loss='binary_crossentropy')",
            "style",
            "The generator has no targets; compiling it with a loss is meaningless, and toggling .trainable on "
            "compiled models does not build the usual combined GAN.",
            "Compile one GAN model with two optimizers (course_utils.gan.GAN)."),
    Erratum("G14", "4.1.1 train", 'generator.save_weights("generator_epoch_{}.h5".format(epoch))', "crash",
            "Keras 3 requires weight files to end in '.weights.h5': ValueError.",
            'generator.save_weights(f"generator_epoch_{epoch}.weights.h5").'),
    Erratum("G15", "4.1.1 train", 'print("Epoch [{}/{}], Loss: {:.4f}".format(epoch + 1, epochs, d_loss))', "style",
            "Prints one line per step (100000 lines) and only the discriminator's loss; the generator loss is "
            "computed and discarded.",
            "Log both losses and D(x), D(G(z)) once per epoch (Keras's progress bar)."),
    Erratum("G16", "4.1.1 main", "generator, discriminator = train(generator, discriminator, x_train)", "crash",
            "train returns only the generator; unpacking a Model into two names raises TypeError.",
            "Return both, or assign one name."),
    Erratum("G17", "4.1.1 and 4.2.1 main", "img = np.hstack([generated_images, x_train[0].reshape(28, 28)])", "crash",
            "Stacks a 4-D batch with one 2-D image: np.hstack raises (different numbers of dimensions).",
            "Tile the batch into a grid (course_utils.plots.tile) and show the real image separately."),
    Erratum("G18", "4.1.1 and 4.2.1 main", "img = (img * 0.5 + 1) * 255", "silent",
            "The inverse of x/127.5 - 1 is (x + 1) * 127.5. This maps [-1, 1] to [127.5, 382.5]: black becomes "
            "mid-grey and, after astype(np.uint8), values above 255 wrap around to dark pixels.",
            "img = np.clip((img + 1) * 127.5, 0, 255).round().astype(np.uint8) (course_utils.data.from_tanh)."),
    Erratum("G19", "4.1.1 and 4.2.1 main", "cv2.imwrite(save_path, img)", "crash",
            "cv2 (OpenCV) is neither imported nor a dependency, and save_path is never defined: NameError.",
            "Save with matplotlib (plt.imsave) to an explicit path."),
    Erratum("G20", "4.1.1 and 4.2.1 main", "(x_train, _), (_, _) = keras.datasets.mnist.load_data()", "crash",
            "`keras` is never imported (only tensorflow as tf): NameError.",
            "import keras (Keras 3) or use tf.keras."),
    Erratum("G21", "4.1.1 train", "generated_images = generator.predict(noise)", "style",
            "predict() inside a training loop builds a dataset and a progress bar for every batch: slow, and it "
            "detaches the fakes from any gradient.",
            "Call generator(noise, training=True) inside the train step."),
    # --- VAE listing (4.2.1) ---------------------------------------------------------
    Erratum("V1", "4.2.1 build_encoder", "z = Lambda(lambda x: x[0] * K.exp(x[1] / 2))([z_mean, z_log_var])", "crash",
            "Lambda and K are never imported (NameError); and Keras 3 has no keras.backend.exp.",
            "A Sampling layer using keras.ops and keras.random."),
    Erratum("V2", "4.2.1 build_encoder", "x[0] * K.exp(x[1] / 2)", "silent",
            "Multiplies the mean by the standard deviation: no noise at all, so z is a deterministic function "
            "of x. That is neither a sample from q(z|x) nor the reparameterization trick.",
            "z = z_mean + exp(z_log_var / 2) * eps with eps ~ N(0, I)."),
    Erratum("V3", "4.2.1 build_encoder", "return Model(input_layer, z)", "crash",
            "The encoder returns only z; z_mean and z_log_var, needed for the KL term, are unreachable "
            "(the KL line in train raises NameError).",
            "Return [z_mean, z_log_var, z]."),
    Erratum("V4", "4.2.1 build_decoder", "x = Reshape((7, 7, 1))(x)", "crash",
            "Reshapes 512 values into 7*7*1 = 49: ValueError when the model is built.",
            "Dense(7*7*64) then Reshape((7, 7, 64))."),
    Erratum("V5", "4.2.1 build_decoder", "x = Conv2DTranspose(1, (5, 5), strides=(2, 2), padding='same')(x)", "crash",
            "One stride-2 transposed convolution takes 7x7 to 14x14, not 28x28; Conv2DTranspose and "
            "Activation are also not imported.",
            "Two stride-2 upsamplings (7 -> 14 -> 28)."),
    Erratum("V6", "4.2.1 build_decoder", "x = Activation('tanh')(x)", "maths",
            "A tanh output with MSE is a Gaussian likelihood with an unstated variance on [-1, 1] data; for "
            "MNIST a Bernoulli likelihood (sigmoid logits, binary cross-entropy summed over pixels) gives "
            "likelihoods in nats.",
            "Output logits; use the Bernoulli log-likelihood on [0, 1] (binarized) data."),
    Erratum("V7", "4.2.1 train", "generated_images = decoder.predict(noise)", "silent",
            "The training loop never calls the encoder: it decodes prior noise and compares the result with "
            "unrelated random real images. Minimising that MSE teaches the decoder to output the average digit "
            "whatever z is (the notebook shows it).",
            "Encode the batch, sample z with the reparameterization, decode, and compare with the same batch."),
    Erratum("V8", "4.2.1 train", "x_train = x_train[np.random.randint(0, x_train.shape[0], batch_size)]", "silent",
            "Overwrites the data set with one batch (as in G8).",
            "Keep the data set; draw batches from it (model.fit does)."),
    Erratum("V9", "4.2.1 train", "reconstruction_loss = mean_squared_error(x_train, generated_images)", "crash",
            "mean_squared_error is not imported; Keras's version averages only the last axis, giving shape "
            "(batch, 28, 28), which cannot be added to the (batch,) KL.",
            "Sum the per-pixel log-likelihood over all pixel axes to get one number per example."),
    Erratum("V10", "4.2.1 train",
            "kl_divergence = -0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)", "crash",
            "z_mean and z_log_var are undefined in train (NameError); the formula itself is right.",
            "Compute it from the encoder's outputs inside the train step (course_utils.losses.gaussian_kl)."),
    Erratum("V11", "4.2.1 train", "loss = reconstruction_loss + 0.001 * kl_divergence", "maths",
            "A mean (not sum) over pixels plus 0.001 x KL is the negative ELBO of a Gaussian decoder with "
            "variance 0.001 * 784 / 2 = 0.39 (std 0.63 on data in [-1, 1]): an arbitrary, very noisy "
            "likelihood that makes the model blur (notebook 02 §7).",
            "Sum the Bernoulli log-likelihood over pixels and weight the KL by β = 1."),
    Erratum("V12", "4.2.1 train", "loss_value.backward()", "crash",
            "PyTorch API again (loss.mean(), zero_grad, backward, step, item): TensorFlow tensors have none of "
            "them. With no GradientTape no gradient is ever computed, so even a patched loop trains nothing.",
            "A keras.Model subclass with train_step: GradientTape, then optimizer.apply_gradients."),
    Erratum("V13", "4.2.1 train", 'encoder.save_weights("encoder_epoch_{}.h5".format(epoch))', "crash",
            "Keras 3 requires '.weights.h5' (as G14).",
            'encoder.save_weights(f"encoder_epoch_{epoch}.weights.h5").'),
    Erratum("V14", "4.2.1 main", "encoder.trainable = False", "misleading",
            "Freezes the encoder just before training a VAE, whose encoder must learn; the compile calls with "
            "loss='mse' are unused by the hand-written loop.",
            "One model, one optimizer over encoder and decoder weights."),
    Erratum("V15", "4.2.1 train", "def train(encoder, decoder, x_train, batch_size=128, epochs=100, save_interval=50):",
            "silent",
            "100 'epochs' of one batch each are 100 steps, about a fifth of one pass over MNIST.",
            "Train for real epochs with model.fit."),
    Erratum("V16", "4.2.1 train", "optimizer = Adam(lr=0.0002, beta_1=0.5)", "style",
            "Besides the Keras 3 `lr` crash (G6), beta_1 = 0.5 is a GAN heuristic; VAEs train well with Adam's "
            "defaults and a larger learning rate (1e-3).",
            "keras.optimizers.Adam(1e-3)."),
]


def fix_lines(path) -> dict[str, list[int]]:
    """Map each erratum id to the line numbers of ``path`` whose ``# fixes ...`` comment names it."""
    import re
    from pathlib import Path

    found: dict[str, list[int]] = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        comment = line.partition("# fixes")[2]
        for erratum_id in re.findall(r"\b[MGV]\d+\b", comment):
            found.setdefault(erratum_id, []).append(number)
    return found


def markdown_table(entries=None) -> str:
    """The catalogue as a Markdown table (notebook 03)."""
    rows = ["| id | where | quote | category | what goes wrong | fix |", "|---|---|---|---|---|---|"]
    for e in entries or ERRATA:
        quote = e.quote.replace("|", "\\|").replace("\n", " ")
        if e.translation:
            quote += f"<br>*“{e.translation}”*"
        rows.append(f"| {e.id} | {e.where} | `{quote}` | {CATEGORIES[e.category]} | "
                    f"{e.problem.replace('|', '/')} | {e.fix.replace('|', '/')} |")
    return "\n".join(rows)
