"""What may be in a coop's files, and what a writer may change in them.

- `scan`: the Beancount declarations of one file, read by Beancount's own lexer (never by a
  regular expression: `\\r` ends a line for Beancount, strings may be escaped), and the ones
  an included file may not hold (`include`, `plugin`, `option`, Fava's options and extensions…);
- `files`: the verification of a coop's folder before anything loads it: `coop.beancount` is
  exactly the one this version generates, the other files declare nothing, no link leaves the
  folder. No check, hook, page or document opens or imports what a ledger file names;
- `documents`: the pièces justificatives accepted (PDF, JPEG, PNG by their content), their
  names and where they may be;
- `writes`: the policy of every write (web, imports, migration, the AD's commands): which files
  a scope may change, and which directives, texts and paths the new text may hold.
"""
