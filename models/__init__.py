"""RiskModel: calibrated LightGBM scores with exact SHAP explanations and reason codes (issues 4 and 5)."""

from models.treeshap import shap_values

__all__ = ["shap_values"]
