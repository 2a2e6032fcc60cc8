def desglose_parametros(modelo):
    entrenables = int(np.sum([tf.size(w).numpy() for w in modelo.trainable_weights]))
    no_entrenables = int(np.sum([w.numpy().size for w in modelo.non_trainable_weights]))
    sesgos = 0
    for capa in modelo.layers:
        if isinstance(capa, tf.keras.layers.Conv2D) and capa.bias is not None:
            sesgos += capa.bias.shape[0]
    return dict(total=entrenables + no_entrenables, entrenables=entrenables,
                no_entrenables=no_entrenables, sesgos_conv=sesgos)
