"""The article's VAE listing (4.2.1), corrected for 28x28x1 MNIST and Keras 3.

Line for line the article's code wherever that code is right: the same dense encoder to a
mean and a log-variance, the same dense decoder ending in a stride-2 transposed
convolution, a hand-written training loop -- now with the reparameterization, a Bernoulli
likelihood and the KL term, i.e. the ELBO of notebook 02. Every line that differs from the
article says why at its end: ``# fixes <ids>`` names the catalogue entries it corrects
(``catalogue.ERRATA``), ``# changed (not a defect): <reason>`` marks the few changes made for
the course's own use. Tests check that every added or changed line carries one of the two, and
that every statement of the article is either kept or named by the entry that rewrites or
removes it (``listings.REWRITTEN``).
"""

import keras  # fixes G20
import matplotlib.pyplot as plt  # fixes G19
import numpy as np
import tensorflow as tf
from keras import ops  # fixes V1: keras.ops, as Keras 3 has no K.exp
from tensorflow.keras.layers import (  # fixes V1, V5, G2: the layers used, and only those
    Conv2DTranspose,
    Dense,
    Flatten,
    Input,
    Lambda,
    Reshape,
)
from tensorflow.keras.models import Model
from tensorflow.keras.optimizers import Adam  # fixes G6: Adam was never imported

from course_utils.data import binarize, load_mnist  # changed (not a defect): MNIST from the course's cache

z_dim = 100  # fixes G7: at module level, so train() and main() see it


# 编码器
def build_encoder():
    input_layer = Input(shape=(28, 28, 1,))
    x = Flatten()(input_layer)
    x = Dense(512, activation='relu')(x)
    x = Dense(256, activation='relu')(x)
    z_mean = Dense(z_dim, activation='linear')(x)
    z_log_var = Dense(z_dim, activation='linear')(x)
    z = Lambda(lambda x: x[0] + ops.exp(x[1] / 2) * keras.random.normal(ops.shape(x[0])))(  # fixes V1, V2, M10
        [z_mean, z_log_var])
    return Model(input_layer, [z_mean, z_log_var, z])  # fixes V3: the KL term needs z_mean and z_log_var


# 解码器
def build_decoder():
    input_layer = Input(shape=(z_dim,))
    x = Dense(256, activation='relu')(input_layer)
    x = Dense(512, activation='relu')(x)
    x = Dense(7*7*64, activation='relu')(x)  # fixes V4: 7*7*64 values for the reshape
    x = Reshape((7, 7, 64))(x)  # fixes V4
    x = Conv2DTranspose(32, (5, 5), strides=(2, 2), padding='same', activation='relu')(x)  # fixes V5: 7 -> 14
    x = Conv2DTranspose(1, (5, 5), strides=(2, 2), padding='same')(x)  # fixes V5 (14 -> 28), V6: logits, no tanh
    return Model(input_layer, x)


def train_step(encoder, decoder, optimizer, x_batch):  # fixes V12: a TensorFlow step replaces zero_grad/backward/step
    # A new function, so its tag above covers every line of it; the lines tagged below are where each
    # particular fix happens.
    with tf.GradientTape() as tape:  # fixes V12: gradients need a tape
        z_mean, z_log_var, z = encoder(x_batch, training=True)  # fixes V7: encode the batch itself
        generated_images = decoder(z, training=True)  # fixes V7: decode its own codes, not prior noise
        per_pixel = tf.nn.sigmoid_cross_entropy_with_logits(labels=x_batch, logits=generated_images)  # fixes V6, M9
        reconstruction_loss = tf.reduce_sum(per_pixel, axis=[1, 2, 3])  # fixes V9: one number per image
        kl_divergence = -0.5 * tf.reduce_sum(  # fixes V10 (tf, the encoder's outputs), M6 (the KL term)
            1 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var), axis=-1)
        loss = reconstruction_loss + kl_divergence  # fixes V11 (KL weight 1), M7: the negative ELBO
        loss_value = tf.reduce_mean(loss)  # fixes V12: tf.reduce_mean, not .mean()
    variables = encoder.trainable_variables + decoder.trainable_variables  # fixes V14: both networks learn
    optimizer.apply_gradients(zip(tape.gradient(loss_value, variables), variables))  # fixes V12
    return loss_value


# 训练VAEs
def train(encoder, decoder, x_train, batch_size=128, epochs=5, save_dir='.'):  # fixes V15
    optimizer = Adam(learning_rate=0.001)  # fixes G6 (lr=), V16: Adam's defaults suit a VAE
    step = tf.function(train_step)  # changed (not a defect): compiled with tf.function, for speed
    for epoch in range(epochs):
        epoch_loss = keras.metrics.Mean()  # fixes V15: with real epochs, each epoch's mean loss
        x_binary = binarize(x_train, seed=epoch)  # fixes V6: binary pixels for a Bernoulli likelihood, fresh each epoch
        dataset = tf.data.Dataset.from_tensor_slices(x_binary).shuffle(len(x_binary)).batch(batch_size)  # fixes V8
        for x_batch in dataset:  # fixes V8: every image once per epoch, the data set kept intact
            loss_value = step(encoder, decoder, optimizer, x_batch)  # fixes V12
            epoch_loss.update_state(loss_value)  # fixes V15
        encoder.save_weights(f"{save_dir}/encoder_epoch_{epoch}.weights.h5")  # fixes V13
        decoder.save_weights(f"{save_dir}/decoder_epoch_{epoch}.weights.h5")  # fixes V13
        print(f"Epoch [{epoch + 1}/{epochs}], Loss (-ELBO, nats): {float(epoch_loss.result()):.2f}")  # fixes V12, V15
    return encoder, decoder


# 主函数
def main(epochs=5, n_train=60000, save_dir='.'):  # changed (not a defect): callable with fewer epochs and images
    x_train = load_mnist(verbose=False).x_train[:n_train]  # changed (not a defect): the same arrays, offline
    x_train = x_train / 255.  # fixes V6: [0, 1], the range of a Bernoulli decoder's pixel probabilities
    x_train = np.expand_dims(x_train, axis=3)
    # 训练VAEs
    encoder = build_encoder()
    decoder = build_decoder()
    encoder, decoder = train(encoder, decoder, x_train,  # changed (not a defect): fewer epochs
                             epochs=epochs, save_dir=save_dir)
    # 生成图像
    noise = np.random.normal(0, 1, (10, z_dim))
    generated_images = ops.convert_to_numpy(ops.sigmoid(decoder.predict(noise)))  # fixes V6: probabilities from logits
    # 保存生成的图像
    img = np.hstack([*generated_images[..., 0], x_train[0].reshape(28, 28)])  # fixes G17: 10 samples, 1 real
    img = img * 255  # fixes G18: the inverse of x / 255
    img = img.astype(np.uint8)
    save_path = f"{save_dir}/vae_samples.png"  # fixes G19: defined
    plt.imsave(save_path, img, cmap='gray')  # fixes G19: matplotlib, not OpenCV
    return decoder, img  # changed (not a defect): for the notebook and the tests
