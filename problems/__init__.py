"""The problem bank: every family by name.

>>> from calcgrade.problems import family_names, get_family
>>> "derivative" in family_names()
True
>>> get_family("derivatve")
Traceback (most recent call last):
...
calcgrade.core.errors.UnknownFamilyError: unknown family 'derivatve' (did you mean 'derivative'?); run 'calcgrade families' for the list
"""

from __future__ import annotations

import difflib
import importlib

from calcgrade.core.errors import UnknownFamilyError
from calcgrade.problems.family import AnswerSpec, Family, Form, Mistake, OptionSpec, ParamSpec, Reject

__all__ = ["AnswerSpec", "Family", "Form", "Mistake", "OptionSpec", "ParamSpec", "Reject",
           "family_names", "get_family", "all_families"]

# family name -> "module:Class"; the modules are imported on first use.
_REGISTRY = {
    "derivative": "derivative:DerivativeFamily",
    "gradient_descent": "gradient_descent:GradientDescentFamily",
    "sigmoid_gradient": "sigmoid_gradient:SigmoidGradientFamily",
    "newton": "newton:NewtonFamily",
    "hessian": "hessian:HessianFamily",
    # the whole course (issue 5)
    "partial_derivatives": "partial_derivatives:PartialDerivativesFamily",
    "tangent_plane": "tangent_plane:TangentPlaneFamily",
    "critical_points_1d": "critical_points_1d:CriticalPoints1DFamily",
    "optimize_closed_form": "optimize_closed_form:OptimizeClosedFormFamily",
    "non_differentiable": "non_differentiable:NonDifferentiableFamily",
    "inverse_derivative": "inverse_derivative:InverseDerivativeFamily",
    "linear_regression_gd": "linear_regression_gd:LinearRegressionGDFamily",
    "perceptron_regression": "perceptron_regression:PerceptronRegressionFamily",
    "perceptron_classification": "perceptron_classification:PerceptronClassificationFamily",
    "logistic_regression": "logistic_regression:LogisticRegressionFamily",
    "softmax_cross_entropy": "softmax_cross_entropy:SoftmaxCrossEntropyFamily",
    "backprop_221": "backprop_221:Backprop221Family",
    "computation_graph": "computation_graph:ComputationGraphFamily",
    "concavity": "concavity:ConcavityFamily",
    "optimizers": "optimizers:OptimizersFamily",
    "lr_schedules": "lr_schedules:LRSchedulesFamily",
    "gd_stability": "gd_stability:GDStabilityFamily",
    "mle": "mle:MLEFamily",
    "regularization": "regularization:RegularizationFamily",
    "sgd": "sgd:SGDFamily",
    "mlp_backprop": "mlp_backprop:MLPBackpropFamily",
    "gradient_checking": "gradient_checking:GradientCheckingFamily",
    "hinge_huber": "hinge_huber:HingeHuberFamily",
    "map_estimation": "map_estimation:MAPEstimationFamily",
    "critical_points_2d": "critical_points_2d:CriticalPoints2DFamily",
    "taylor_2d": "taylor_2d:Taylor2DFamily",
    "jacobian_directional": "jacobian_directional:JacobianDirectionalFamily",
}
_INSTANCES: dict[str, Family] = {}


def family_names() -> list[str]:
    """The names of all families, in the order of the course."""
    return list(_REGISTRY)


def get_family(name: str) -> Family:
    """The family called ``name``; an unknown name gets a suggestion."""
    if name not in _REGISTRY:
        close = difflib.get_close_matches(str(name), family_names(), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UnknownFamilyError(f"unknown family {name!r}{hint}; run 'calcgrade families' for the list")
    if name not in _INSTANCES:
        module_name, class_name = _REGISTRY[name].split(":")
        module = importlib.import_module(f"calcgrade.problems.{module_name}")
        _INSTANCES[name] = getattr(module, class_name)()
    return _INSTANCES[name]


def all_families() -> list[Family]:
    """Every family, in the order of :func:`family_names`."""
    return [get_family(name) for name in _REGISTRY]
