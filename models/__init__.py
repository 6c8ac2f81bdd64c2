"""RiskModel: calibrated LightGBM scores with exact SHAP explanations and reason codes (issues 4 and 5)."""
