#compdef exofop

_exofop_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _EXOFOP_COMPLETE=complete_zsh exofop)
}

compdef _exofop_completion exofop
