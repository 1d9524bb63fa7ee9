"""What "non-compliant" means, one module per control that both an AWS Config rule and its runbook need.

Each module holds the comparison that finds a resource non-compliant and, where the control has parameters, their
table (INTEGER_PARAMETERS: name -> (default, lowest, highest); BOOLEAN_PARAMETERS: name -> default).
The rule imports it from this layer; the build embeds what a runbook's script imports from it into the runbook's
document (infra/runbooks.py) and checks the document's parameters against the table. Standard library only: the
same code runs in the rule's Lambda function and in SSM's python3.11 executeScript runtime.
"""
