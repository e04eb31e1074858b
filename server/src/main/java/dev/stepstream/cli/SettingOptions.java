package dev.stepstream.cli;

import dev.stepstream.settings.Setting;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * A command's options made from settings of the table ({@code Config.SETTINGS}), one per setting,
 * each with the setting's flag, label and help, and kept as text: {@code settings/Settings}
 * parses them, with the environment and the config file, by the setting's own rule. {@code serve}
 * takes all of them; {@code workflows check} the few that decide what a valid workflow is.
 */
final class SettingOptions {
    /** A switch given alone. */
    private static final String ON = "true";

    private SettingOptions() {}

    /** Adds an option for each of {@code settings} to {@code spec}; a switch may stand alone ({@code --allow-scripts}). */
    static CommandSpec add(CommandSpec spec, List<Setting<?>> settings) {
        for (Setting<?> setting : settings) {
            OptionSpec.Builder option = OptionSpec.builder(setting.flag())
                    .paramLabel(setting.label())
                    .description(setting.help())
                    .type(String.class);
            if (setting.optionalValue()) {
                // A switch takes the next argument as its value only if it is one (--allow-scripts
                // false); else it stands alone and the argument is the command's, as picocli's
                // own boolean options do (workflows check --allow-scripts a.yaml).
                option.arity("0..1").fallbackValue(ON).preprocessor((args, command, arg, info) -> {
                    if (" ".equals(info.get("separator")) && !args.isEmpty() && !setting.accepts(args.peek())) {
                        args.push(ON);
                    }
                    return false;
                });
            }
            spec.addOption(option.build());
        }
        return spec;
    }

    /** The values given on the command line, by setting name, for {@code Settings.of}. */
    static Map<String, String> given(ParseResult parsed, List<Setting<?>> settings) {
        Map<String, String> flags = new LinkedHashMap<>();
        for (Setting<?> setting : settings) {
            String value = parsed.matchedOptionValue(setting.flag(), null);
            if (value != null) {
                flags.put(setting.name(), value);
            }
        }
        return flags;
    }
}
