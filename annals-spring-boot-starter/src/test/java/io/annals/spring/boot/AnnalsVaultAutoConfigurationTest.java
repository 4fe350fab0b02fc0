package io.annals.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.privacy.InMemorySubjectKeys;
import io.annals.eventstore.privacy.KeyWrapper;
import io.annals.eventstore.privacy.Sealed;
import io.annals.eventstore.privacy.Vault;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The vault: made from the application's wrapping key, on the store's subject keys. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class AnnalsVaultAutoConfigurationTest {

    private static final String SECRET = Base64.getEncoder().encodeToString(new byte[16]);

    @TempDir
    Path dir;

    private ApplicationContextRunner contexts() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(AnnalsAutoConfiguration.class))
                .withPropertyValues("annals.url=jdbc:sqlite:" + dir.resolve("vault.db"));
    }

    private static KeyWrapper wrapper() {
        return KeyWrapper.aesGcm("k1", new byte[32]);
    }

    @Test
    void a_wrapping_key_bean_gives_a_vault_on_the_stores_subject_keys() {
        contexts()
                .withBean(KeyWrapper.class, AnnalsVaultAutoConfigurationTest::wrapper)
                .withPropertyValues("annals.privacy.subject-secret=" + SECRET)
                .run(context -> {
                    Vault vault = context.getBean(Vault.class);
                    String subject = vault.subjectFor("ann@example.com");
                    Sealed email = vault.seal(subject, "ann@example.com");

                    assertThat(vault.reveal(email)).contains("ann@example.com");
                    assertThat(context.getBean(io.annals.eventstore.jdbc.JdbcEventStore.class)
                                    .subjectKeys()
                                    .live(subject))
                            .as("the key is in the store")
                            .isPresent();
                });
    }

    @Test
    void without_a_wrapping_key_there_is_no_vault() {
        contexts().run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(Vault.class);
        });
    }

    @Test
    void the_applications_own_vault_wins() {
        Vault own = Vault.builder(new InMemorySubjectKeys(), wrapper()).build();
        contexts()
                .withBean(KeyWrapper.class, AnnalsVaultAutoConfigurationTest::wrapper)
                .withBean(Vault.class, () -> own)
                .run(context -> assertThat(context.getBean(Vault.class)).isSameAs(own));
    }

    @Test
    void a_subject_secret_that_is_not_base64_stops_the_start_without_showing_it() {
        contexts()
                .withBean(KeyWrapper.class, AnnalsVaultAutoConfigurationTest::wrapper)
                .withPropertyValues("annals.privacy.subject-secret=not base64 at all!")
                .run(context -> assertThat(context)
                        .hasFailed()
                        .getFailure()
                        .rootCause()
                        .hasMessageContaining("not Base64")
                        .hasMessageNotContaining("not base64 at all!"));
    }
}
