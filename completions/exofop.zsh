#compdef exofop

_exofop_completion() {
    local -a response plain plain_described nospace nospace_described
    local type value help
    (( ! $+commands[exofop] )) && return 1
    response=("${(@f)$(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _EXOFOP_COMPLETE=complete_zsh exofop 2>/dev/null)}")
    [[ -z "${response[*]}" ]] && response=()
    for type value help in "${response[@]}"; do
        case "$type" in
            plain) [[ "$help" == "_" ]] && plain+=("$value") || plain_described+=("${value//:/\\:}:$help") ;;
            nospace) [[ "$help" == "_" ]] && nospace+=("$value") || nospace_described+=("${value//:/\\:}:$help") ;;
            dir) _path_files -/ ;;
            file) _path_files -f ;;
        esac
    done
    (( ${#plain_described} )) && _describe -V unsorted plain_described -U
    (( ${#plain} )) && compadd -U -V unsorted -a plain
    (( ${#nospace_described} )) && _describe -V unsorted nospace_described -U -S ''
    (( ${#nospace} )) && compadd -U -S '' -V unsorted -a nospace
    (( ${#response} )) || _files
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    # Autoloaded from $fpath (this file is _exofop): complete now, as every TAB after this one will.
    _exofop_completion "$@"
else
    # Sourced: register the function for later TABs.
    compdef _exofop_completion exofop
fi
