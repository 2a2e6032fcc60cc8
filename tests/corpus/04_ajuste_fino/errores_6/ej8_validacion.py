#: ej8: validates on the test set (epochs chosen by looking at test data) and trains on all 250 images
rasgos_prueba = extractor.predict(entrada_test[:500], batch_size=500, verbose=0)
rasgos_ajuste, y_ajuste = rasgos_train, y_train
rasgos_val, y_val = rasgos_prueba, y_test[:500]
cabeza_parada = nueva_cabeza()
historia_parada = entrenar_con_parada(cabeza_parada, rasgos_ajuste, y_ajuste, rasgos_val, y_val, MAX_EPOCAS)
print(f"ajuste: {len(rasgos_ajuste)} | validación: {len(rasgos_val)} | épocas entrenadas: {len(historia_parada.epoch)} de {MAX_EPOCAS}")
