"""Models-from-code entry for MLflow: the pyfunc is defined by this file, not by a pickle of an object.

``mlflow.pyfunc.log_model(python_model=<this file>)`` stores the file; loading runs it (with the project's packages
on the path as code paths) and gets the model it sets. Nothing of ours is ever unpickled.
"""

from mlflow.models import set_model

from models.pyfunc import RiskPyfunc

set_model(RiskPyfunc())
