def describir_firma(modelo, nombre='serving_default'):
    f = modelo.signatures[nombre]
    entradas = {}
    for k, s in f.structured_input_signature[1].items():
        entradas[k] = (tuple(s.shape), s.dtype.name)
    salidas = {k: (tuple(s.shape), str(s.dtype.name)) for k, s in f.structured_outputs.items()}
    return dict(entradas=entradas, salidas=salidas)
