"""Grader validity for 02_arquitecturas: full marks, zero, typical mistakes, correct variants."""

from __future__ import annotations

import pytest

from grader_corpus import (  # noqa: F401  (shared fixture and tests, collected here)
    graded, results, test_blank_release_scores_zero, test_each_mistake_loses_only_its_exercise,
    test_honest_submissions_are_never_flagged,
    test_solution_gets_full_marks, test_solution_runs_silently_within_memory_budget)

A = "02_arquitecturas"
pytestmark = pytest.mark.slow

# name -> solution cells replaced (grade_id -> source)
CORPUS: dict[str, dict[str, str]] = {
    "solucion": {},
    # Typical mistakes, one exercise each (independent exercises share one submission).
    "errores_1": {
        # ej1: forgets the biases
        "ej1_contar_parametros": (
            "def parametros_conv(k, c_entrada, c_salida, sesgo=True):\n"
            "    return k * k * c_entrada * c_salida\n"
            "def parametros_densa(n_entrada, n_salida, sesgo=True):\n"
            "    return n_entrada * n_salida\n"
        ),
        # ej3: forgets strides=4 (55x55 becomes 217x217)
        "ej3_etapa_alexnet": (
            "def etapa_alexnet(forma_entrada=(227, 227, 3)):\n"
            "    return tf.keras.Sequential([tf.keras.Input(shape=forma_entrada),\n"
            "        layers.Conv2D(96, 11, activation='relu'), layers.MaxPooling2D(3, 2),\n"
            "        layers.Dropout(0.5)])\n"
        ),
        # ej5: wrong filter counts (doubles the filters at each convolution)
        "ej5_bloque_vgg": (
            "def bloque_vgg(x, filtros, n_convs=2):\n"
            "    for i in range(n_convs):\n"
            "        x = layers.Conv2D(filtros * (i + 1), 3, padding='same', activation='relu')(x)\n"
            "    return layers.MaxPooling2D(2)(x)\n"
        ),
        # ej7: misplaced shortcut, added after the final ReLU (identity test alone passes)
        "ej7_bloque_residual": (
            "def bloque_residual(x, filtros, stride=1):\n"
            "    atajo = x\n"
            "    y = layers.Conv2D(filtros, 3, strides=stride, padding='same')(x)\n"
            "    y = layers.Activation('relu')(layers.BatchNormalization()(y))\n"
            "    y = layers.Conv2D(filtros, 3, padding='same')(y)\n"
            "    y = layers.Activation('relu')(layers.BatchNormalization()(y))\n"
            "    if stride != 1 or x.shape[-1] != filtros:\n"
            "        atajo = layers.Conv2D(filtros, 1, strides=stride)(x)\n"
            "    return layers.add([y, atajo])\n"
        ),
        # ej9: counts every bias (the Dense one too) as a convolution bias
        "ej9_desglose_parametros": (
            "def desglose_parametros(modelo):\n"
            "    contar = lambda vs: int(sum(np.prod(v.shape) for v in vs))\n"
            "    return {'total': modelo.count_params(), 'entrenables': contar(modelo.trainable_weights),\n"
            "            'no_entrenables': contar(modelo.non_trainable_weights),\n"
            "            'sesgos_conv': contar([w for w in modelo.weights if 'bias' in w.name])}\n"
        ),
    },
    "errores_2": {
        # ej2: filter counts of C1 and C3 swapped
        "ej2_lenet5": (
            "def lenet5():\n"
            "    return tf.keras.Sequential([tf.keras.Input(shape=(32, 32, 1)),\n"
            "        layers.Conv2D(16, 5, activation='tanh'), layers.AveragePooling2D(2),\n"
            "        layers.Conv2D(6, 5, activation='tanh'), layers.AveragePooling2D(2),\n"
            "        layers.Conv2D(120, 5, activation='tanh'), layers.Flatten(),\n"
            "        layers.Dense(84, activation='tanh'), layers.Dense(10, activation='softmax')])\n"
        ),
        # ej4: receptive field as n * k
        "ej4_campo_receptivo": (
            "def campo_receptivo(n_capas, k=3):\n"
            "    return n_capas * k\n"
            "def pesos_pila(n_capas, k, c):\n"
            "    return n_capas * k * k * c * c\n"
        ),
        # ej6: 'valid' padding in the branches: the concatenation fails
        "ej6_modulo_inception": (
            "def modulo_inception(x, f1, f3_red, f3, f5_red, f5, f_pool):\n"
            "    a = layers.Conv2D(f1, 1, activation='relu')(x)\n"
            "    b = layers.Conv2D(f3, 3, activation='relu')(layers.Conv2D(f3_red, 1, activation='relu')(x))\n"
            "    c = layers.Conv2D(f5, 5, activation='relu')(layers.Conv2D(f5_red, 1, activation='relu')(x))\n"
            "    d = layers.Conv2D(f_pool, 1, activation='relu')(layers.MaxPooling2D(3, strides=1)(x))\n"
            "    return layers.Concatenate()([a, b, c, d])\n"
        ),
        # ej7: missing shortcut
        "ej7_bloque_residual": (
            "def bloque_residual(x, filtros, stride=1):\n"
            "    y = layers.Conv2D(filtros, 3, strides=stride, padding='same')(x)\n"
            "    y = layers.Activation('relu')(layers.BatchNormalization()(y))\n"
            "    y = layers.Conv2D(filtros, 3, padding='same')(y)\n"
            "    return layers.Activation('relu')(layers.BatchNormalization()(y))\n"
        ),
        # ej8: include_top=False (not the full model)
        "ej8_construir_aplicacion": (
            "def construir_aplicacion(nombre):\n"
            "    return getattr(tf.keras.applications, nombre)(weights=None, include_top=False)\n"
        ),
    },
    # Correct alternatives in other styles (the solution uses Sequential for ej2/ej3,
    # functional blocks, layers.Add() and layers.Concatenate()).
    "variantes": {
        "ej1_contar_parametros": (
            "def parametros_conv(k, c_entrada, c_salida, sesgo=True):\n"
            "    return (k * k * c_entrada + int(sesgo)) * c_salida\n"
            "def parametros_densa(n_entrada, n_salida, sesgo=True):\n"
            "    return (n_entrada + (1 if sesgo else 0)) * n_salida\n"
        ),
        # functional API, C5 as Flatten + Dense(120), tanh as tf.nn.tanh and as a layer
        "ej2_lenet5": (
            "def lenet5():\n"
            "    entrada = tf.keras.Input(shape=(32, 32, 1))\n"
            "    x = layers.Conv2D(6, (5, 5), activation=tf.nn.tanh)(entrada)\n"
            "    x = layers.AveragePooling2D(pool_size=(2, 2))(x)\n"
            "    x = layers.Activation('tanh')(layers.Conv2D(16, (5, 5))(x))\n"
            "    x = layers.Flatten()(layers.AveragePooling2D()(x))\n"
            "    x = layers.Dense(120, activation='tanh')(x)\n"
            "    x = layers.Dense(84, activation='tanh')(x)\n"
            "    return tf.keras.Model(entrada, layers.Dense(10, activation='softmax')(x))\n"
        ),
        # functional API, ReLU as a layer, MaxPool2D alias
        "ej3_etapa_alexnet": (
            "def etapa_alexnet(forma_entrada=(227, 227, 3)):\n"
            "    entrada = tf.keras.Input(shape=forma_entrada)\n"
            "    x = layers.Conv2D(filters=96, kernel_size=(11, 11), strides=(4, 4))(entrada)\n"
            "    x = layers.MaxPool2D(pool_size=(3, 3), strides=(2, 2))(layers.ReLU()(x))\n"
            "    return tf.keras.Model(entrada, layers.Dropout(rate=0.5)(x))\n"
        ),
        "ej4_campo_receptivo": (
            "def campo_receptivo(n_capas, k=3):\n"
            "    lado = 1\n"
            "    for _ in range(n_capas):\n"
            "        lado += k - 1\n"
            "    return lado\n"
            "def pesos_pila(n_capas, k, c):\n"
            "    return sum(parametros_conv(k, c, c, sesgo=False) for _ in range(n_capas))\n"
        ),
        # a Sequential applied to the tensor (nested model)
        "ej5_bloque_vgg": (
            "def bloque_vgg(x, filtros, n_convs=2):\n"
            "    capas = [layers.Conv2D(filtros, (3, 3), padding='same', activation='relu')\n"
            "             for _ in range(n_convs)]\n"
            "    return tf.keras.Sequential(capas + [layers.MaxPool2D()])(x)\n"
        ),
        # other branch order, tf.concat instead of a Concatenate layer
        "ej6_modulo_inception": (
            "def modulo_inception(x, f1, f3_red, f3, f5_red, f5, f_pool):\n"
            "    def conv(t, f, k):\n"
            "        return layers.Conv2D(f, k, padding='same', activation='relu')(t)\n"
            "    ramas = [conv(layers.MaxPool2D(3, strides=1, padding='same')(x), f_pool, 1),\n"
            "             conv(conv(x, f5_red, 1), f5, 5), conv(conv(x, f3_red, 1), f3, 3), conv(x, f1, 1)]\n"
            "    return tf.concat(ramas, axis=-1)\n"
        ),
        # `+`, no conv biases, BN on the projection, zero-initialised last gamma, ReLU layers
        "ej7_bloque_residual": (
            "def bloque_residual(x, filtros, stride=1):\n"
            "    atajo = x\n"
            "    if stride != 1 or x.shape[-1] != filtros:\n"
            "        atajo = layers.Conv2D(filtros, 1, strides=stride, use_bias=False)(x)\n"
            "        atajo = layers.BatchNormalization()(atajo)\n"
            "    y = layers.Conv2D(filtros, 3, strides=stride, padding='same', use_bias=False)(x)\n"
            "    y = layers.ReLU()(layers.BatchNormalization()(y))\n"
            "    y = layers.Conv2D(filtros, 3, padding='same', use_bias=False)(y)\n"
            "    y = layers.BatchNormalization(gamma_initializer='zeros')(y)\n"
            "    return layers.ReLU()(y + atajo)\n"
        ),
        "ej8_construir_aplicacion": (
            "def construir_aplicacion(nombre):\n"
            "    constructores = {'MobileNetV2': tf.keras.applications.MobileNetV2,\n"
            "                     'ResNet50': tf.keras.applications.ResNet50,\n"
            "                     'InceptionV3': tf.keras.applications.InceptionV3}\n"
            "    return constructores[nombre](include_top=True, weights=None, classes=1000)\n"
        ),
        "ej9_desglose_parametros": (
            "def desglose_parametros(modelo):\n"
            "    entrenables = int(np.sum([tf.size(w).numpy() for w in modelo.trainable_weights]))\n"
            "    no_entrenables = int(np.sum([w.numpy().size for w in modelo.non_trainable_weights]))\n"
            "    sesgos = 0\n"
            "    for capa in modelo.layers:\n"
            "        if isinstance(capa, tf.keras.layers.Conv2D) and capa.bias is not None:\n"
            "            sesgos += capa.bias.shape[0]\n"
            "    return dict(total=entrenables + no_entrenables, entrenables=entrenables,\n"
            "                no_entrenables=no_entrenables, sesgos_conv=sesgos)\n"
        ),
    },
}
WRONG = {
    "errores_1": {"ej1", "ej3", "ej5", "ej7", "ej9"},
    "errores_2": {"ej2", "ej4", "ej6", "ej7", "ej8"},
}


