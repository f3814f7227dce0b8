_exofop_completion() {
    local line
    local -a response
    COMPREPLY=()
    mapfile -t response < <(env COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD="$COMP_CWORD" \
        _EXOFOP_COMPLETE=complete_bash "$1" 2>/dev/null)
    for line in "${response[@]}"; do
        case "$line" in
            "") ;;
            nospace,*) COMPREPLY+=("${line#nospace,}"); compopt -o nospace 2>/dev/null ;;
            dir,*) COMPREPLY=(); compopt -o dirnames 2>/dev/null; return 0 ;;
            file,*) COMPREPLY=(); compopt -o default 2>/dev/null; return 0 ;;
            *) COMPREPLY+=("${line#*,}") ;;
        esac
    done
    return 0
}

complete -o default -F _exofop_completion exofop
