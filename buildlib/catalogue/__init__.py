"""The catalogue model: YAML files read strictly, validated against schemas/, cross-checked;
the labels and the field-level comparison every stage shows editors and citizens."""
