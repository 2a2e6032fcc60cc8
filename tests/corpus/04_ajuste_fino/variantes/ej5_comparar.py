#: ej5: scikit-learn
from sklearn.metrics import accuracy_score
def exactitud(probabilidades, y):
    return accuracy_score(y, probabilidades.argmax(-1))
acc_congelado = exactitud(prob_congelado, y_test)
acc_ajustado = exactitud(modelo.predict(entrada_test, verbose=0), y_test)
